package org.orrery.cpu.riscv.internal;

import static java.lang.constant.ConstantDescs.*;

import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.classfile.instruction.SwitchCase;
import java.lang.classfile.MethodModel;
import java.lang.classfile.attribute.CodeAttribute;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandles;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.orrery.cpu.riscv.internal.RegionDiscovery.Block;
import org.orrery.cpu.riscv.internal.RegionDiscovery.Insn;
import org.orrery.cpu.riscv.internal.RegionDiscovery.Region;

/**
 * Translates guest code into JVM bytecode with the JDK's ClassFile API, one hidden class per region.
 *
 * <p>A region is the code reachable from one entry inside one 4 KiB physical page, following fall-through,
 * conditional branches and plain jumps, up to {@link #MAX_INSTRUCTIONS} and at most one loop nest (see
 * {@link RegionDiscovery#discover}). Its blocks become labelled stretches of one method, so guest loops inside
 * a page are JVM loops that HotSpot compiles with the guest registers in host registers. Control leaves the
 * region (returning the next pc) at calls to code outside it (a call whose target the region holds, such as a
 * recursive one, links and jumps there), indirect jumps, jumps out of the page, and before instructions it does
 * not translate (system instructions, CSRs, anything that crosses the page end): the interpreter runs those.
 *
 * <p>Method shape: load the registers the region uses from {@code h.x} into locals; run the blocks, each
 * adding its length to the retired count when it ends; write the written registers back at the single
 * epilogue. Loads and stores inline the TLB hit; on a miss the region leaves before the access and the
 * interpreter makes it (MMIO, page walks, faults), so no call sits in a region's loops. The helpers that
 * remain (FP, atomics) are exit sites: a table in the region turns the site number into the pc and retired
 * count to leave with if the helper trapped or needs the run loop (precise traps without exceptions). Loop
 * back-edges check the budget, which the run loop keeps to a few thousand instructions, so an exit request
 * is seen soon enough without a poll of its own.
 */
final class RegionCompiler {
    static final int MAX_INSTRUCTIONS = 64;
    /** HotSpot never compiles a method whose bytecode exceeds 8,000 bytes (DontCompileHugeMethods). */
    static final int MAX_CODE_BYTES = 7_900;

    private static final MethodHandles.Lookup LOOKUP = MethodHandles.lookup();
    private static final ClassDesc CD_REGION = ClassDesc.of(CompiledRegion.class.getName());
    private static final ClassDesc CD_HART = ClassDesc.of(RiscvHart.class.getName());
    private static final ClassDesc CD_MMU = ClassDesc.of(Mmu.class.getName());
    private static final ClassDesc CD_FP = ClassDesc.of(FloatingPoint.class.getName());
    private static final ClassDesc CD_ATOMICS = ClassDesc.of(Atomics.class.getName());
    private static final ClassDesc CD_INTERPRETER = ClassDesc.of(Interpreter.class.getName());
    private static final ClassDesc CD_HOST_MEMORY = ClassDesc.of(HostMemory.class.getName());
    private static final ClassDesc CD_MATH = ClassDesc.of("java.lang.Math");
    private static final ClassDesc CD_LONG = ClassDesc.of("java.lang.Long");
    private static final ClassDesc CD_THREAD = ClassDesc.of("java.lang.Thread");
    private static final ClassDesc CD_FPFAST = ClassDesc.of(FpFast.class.getName());
    private static final ClassDesc CD_FPU = ClassDesc.of(Fpu.class.getName());
    private static final ClassDesc CD_CSR = ClassDesc.of(CsrFile.class.getName());
    private static final ClassDesc CD_LONGS = CD_long.arrayType();
    private static final MethodTypeDesc MTD_RUN = MethodTypeDesc.of(CD_long, CD_HART, CD_long, CD_int, CD_int);
    private static final ClassDesc CD_METHOD_HANDLES = ClassDesc.of("java.lang.invoke.MethodHandles");
    private static final ClassDesc CD_LOOKUP = ClassDesc.of("java.lang.invoke.MethodHandles$Lookup");
    /** A region's static finals holding its TLB bank's arrays, in the order of TlbBank#arrays. */
    private static final String READ_TLB = "READ_TLB", WRITE_TLB = "WRITE_TLB", READ_PA = "READ_PA", WRITE_PA = "WRITE_PA";
    private static final List<String> TLB_FIELDS = List.of(READ_TLB, WRITE_TLB, READ_PA, WRITE_PA);

    static {
        // A loop ending in a FENCE was thrown away on its first exit: no bundle code had yet resolved VarHandle
        // through our loader; with two harts, the other one's loop ran slow code meanwhile.
        initialise(List.of(CD_HART, CD_MMU, CD_FP, CD_ATOMICS, CD_INTERPRETER, CD_HOST_MEMORY, CD_MATH, CD_LONG, CD_THREAD,
                CD_VarHandle, CD_FPFAST, CD_FPU, CD_CSR));
    }

    /**
     * Loads and initialises {@code classes} through this bundle's loader. HotSpot's C2 compiles a use of a class
     * the code's loader has not yet loaded and initialised into a trap that, when first reached, throws the
     * compiled method away (back to profiled code until it is compiled again).
     */
    static void initialise(List<ClassDesc> classes) {
        for (ClassDesc c : classes) {
            try {
                Class.forName(c.packageName() + "." + c.displayName(), true, RegionCompiler.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    // local variable slots of run(h, vpage, budget, entry)
    // (REMAIN counts down from the budget: instructions retired = budget - remain)
    private static final int THIS = 0, H = 1, VPAGE = 2, BUDGET = 4, ENTRY = 5, REMAIN = 6, NPC = 7, SITE = 9, XA = 10,
        DBASE = 11, ADDR = 13, INDEX = 15, FA = 16, HOSTPAGE = 17, REGS = 19,
        // after the 31 guest registers: the select mask of an if-converted branch and the values it keeps
        MASK = REGS + 62, KEPT = MASK + 2;
    /** The longest block a branch over it is if-converted for (see Emitter#ifConverted). */
    private static final int IF_CONVERT_MAX = 2;

    private final RegionDiscovery discovery;
    private final boolean rv64;
    private final ClassFile classFile;
    /** The data TLBs of the harts this compiler translates for, constants of every region (see TlbBank). */
    private final TlbBank tlbBank;

    RegionCompiler(Decoder decoder, boolean rv64, boolean compressed, TlbBank tlbBank) {
        this.discovery = new RegionDiscovery(decoder, compressed);
        this.rv64 = rv64;
        this.tlbBank = tlbBank;
        // no stack maps (see generate), so no class hierarchy to resolve either; the resolver stays for
        // the stack counter's sake, which must see our bundle's classes
        this.classFile = ClassFile.of(ClassFile.ClassHierarchyResolverOption.of(
                ClassHierarchyResolver.defaultResolver().orElse(ClassHierarchyResolver.ofClassLoading(LOOKUP))));
    }

    /** What the code a hart gets from guest instructions depends on: harts that agree share regions. */
    record Flavor(int xlen, boolean m, boolean a, boolean f, boolean d, boolean c, TlbBank tlbBank) {
        // equals and hashCode of its own, as CodePages' key that holds it: a record's are linked at their first call
        @Override public boolean equals(Object o) {
            return o instanceof Flavor x && xlen == x.xlen && m == x.m && a == x.a && f == x.f && d == x.d && c == x.c
                    && Objects.equals(tlbBank, x.tlbBank);
        }

        @Override public int hashCode() {
            int extensions = (m ? 1 : 0) | (a ? 2 : 0) | (f ? 4 : 0) | (d ? 8 : 0) | (c ? 16 : 0);
            return (31 * xlen + extensions) * 31 + Objects.hashCode(tlbBank);
        }
    }

    /** A translated region with its guest listing (for -d in_asm). */
    record Result(CompiledRegion region, String listing) { }

    /** Translates the region entered at {@code entrySlot}; null when no instruction there can be translated. */
    Result translate(DecodedPage page, int entrySlot, long vpage, boolean withListing) {
        for (int limit = MAX_INSTRUCTIONS; limit >= 8; limit /= 2) {
            Region r = discovery.discover(page, entrySlot, limit);
            if (r == null) return null;
            byte[] bytes = generate(r, page.paPage + r.entry);
            int codeBytes = codeLength(bytes);
            if (codeBytes > MAX_CODE_BYTES) continue;
            CompiledRegion region = instantiate(bytes, tlbBank.arrays());
            region.entrySlot = entrySlot;
            boolean[] enterable = r.enterable();
            region.entryOffsets = java.util.stream.IntStream.range(0, r.blocks.size()).filter(k -> enterable[k]).map(k -> r.blocks.get(k).start).toArray();
            region.innerOffsets = java.util.stream.IntStream.range(0, r.blocks.size()).filter(k -> !enterable[k]).map(k -> r.blocks.get(k).start).toArray();
            region.coverage = r.coverage();
            region.codeBytes = codeBytes;
            region.guestInstructions = r.count;
            region.siteOffset = r.sites.stream().mapToInt(i -> i.off()).toArray();
            region.siteLength = r.sites.stream().mapToInt(i -> i.len()).toArray();
            region.siteBefore = r.siteBefore.stream().mapToInt(Integer::intValue).toArray();
            region.amask = rv64 ? -1L : 0xffffffffL;
            return new Result(region, withListing ? r.listing(vpage, codeBytes) : null);
        }
        return null;
    }

    // ==================================================================================================
    // Code generation
    // ==================================================================================================

    /**
     * Generates the class; its name carries the guest physical address, for profilers and stack traces. It is
     * a Java 5 class file: those carry no stack maps, which the ClassFile API would otherwise compute for every
     * region (the most expensive part of generating one, and Java code the JIT must first compile: ~0.4 s of
     * C2 time in a Linux boot); the JVM verifies such a class by inference instead, in native code at
     * definition. The code uses nothing newer than Java 5 has.
     *
     * <p>The class initialiser copies the TLB bank's arrays from the class data into static finals, which C2
     * folds to constants (see TlbBank); Java 5 has no dynamic constants, so it asks MethodHandles for them.
     */
    private byte[] generate(Region r, long physicalEntry) {
        ClassDesc name = ClassDesc.of(CompiledRegion.class.getPackageName() + ".Region_" + Long.toHexString(physicalEntry));
        return classFile.build(name, cb -> {
            cb.withVersion(ClassFile.JAVA_5_VERSION, 0)
                    .withFlags(ClassFile.ACC_FINAL | ClassFile.ACC_SUPER)
                    .withSuperclass(CD_REGION);
            for (String field : TLB_FIELDS) cb.withField(field, CD_LONGS, ClassFile.ACC_PRIVATE | ClassFile.ACC_STATIC | ClassFile.ACC_FINAL);
            cb.withMethodBody(CLASS_INIT_NAME, MTD_void, ClassFile.ACC_STATIC, c -> {
                c.invokestatic(CD_METHOD_HANDLES, "lookup", MethodTypeDesc.of(CD_LOOKUP))
                        .ldc(DEFAULT_NAME).ldc(CD_LONGS.arrayType())
                        .invokestatic(CD_METHOD_HANDLES, "classData", MethodTypeDesc.of(CD_Object, CD_LOOKUP, CD_String, CD_Class))
                        .checkcast(CD_LONGS.arrayType());
                for (int k = 0; k < TLB_FIELDS.size(); k++) {
                    if (k < TLB_FIELDS.size() - 1) c.dup();
                    c.loadConstant(k).aaload().putstatic(name, TLB_FIELDS.get(k), CD_LONGS);
                }
                c.return_();
            });
            cb.withMethodBody(INIT_NAME, MTD_void, ClassFile.ACC_PUBLIC,
                    c -> c.aload(0).invokespecial(CD_REGION, INIT_NAME, MTD_void).return_());
            cb.withMethodBody("run", MTD_RUN, ClassFile.ACC_FINAL, c -> new Emitter(r, c, name).emit());
        });
    }

    private static int codeLength(byte[] bytes) {
        for (MethodModel m : ClassFile.of().parse(bytes).methods()) {
            if (m.methodName().equalsString("run")) return ((CodeAttribute) m.code().orElseThrow()).codeLength();
        }
        throw new IllegalStateException("generated region has no run method");
    }

    private static CompiledRegion instantiate(byte[] bytes, long[][] tlbArrays) {
        try {
            MethodHandles.Lookup hidden = LOOKUP.defineHiddenClassWithClassData(bytes, tlbArrays, true);
            // by reflection, not a constructor method handle: making one per class ran java.lang.invoke's resolution
            // and adapter code for every region (ARCHITECTURE.md, "What a two-hart job competes with")
            return (CompiledRegion) hidden.lookupClass().getDeclaredConstructor().newInstance();
        } catch (Throwable e) {
            throw new IllegalStateException("could not load a translated region: " + e, e);
        }
    }

    /** Emits the body of run() for one region. */
    private final class Emitter {
        private final Region r;
        private final CodeBuilder c;
        /** The region's class, whose static finals hold the TLB arrays. */
        private final ClassDesc regionClass;
        private final Label epilogue, siteExit;
        private final java.util.Map<Integer, Label> exits = new java.util.TreeMap<>();
        private final List<Runnable> outOfLine = new ArrayList<>();
        private Block current;
        private int indexInBlock;

        Emitter(Region r, CodeBuilder c, ClassDesc regionClass) {
            this.r = r;
            this.c = c;
            this.regionClass = regionClass;
            this.epilogue = c.newLabel();
            this.siteExit = c.newLabel();
            for (Block b : r.blocks) b.label = c.newLabel();
        }

        void emit() {
            prologue();
            // other block starts are entries too (see RegionDiscovery.Region#enterable): a hart that arrives at
            // one (the block after a call, another hart's loop) runs this region instead of translating it again
            Block entry = r.blockAt[r.entry >> 1];
            boolean[] enterable = r.enterable();
            List<SwitchCase> cases = new ArrayList<>();
            for (int k = 0; k < r.blocks.size(); k++) {
                Block b = r.blocks.get(k);
                if (b != entry && enterable[k]) cases.add(SwitchCase.of(b.start, b.label));
            }
            if (!cases.isEmpty()) c.iload(ENTRY).lookupswitch(entry.label, cases);
            else if (r.blocks.getFirst() != entry) c.goto_(entry.label);
            for (int k = 0; k < r.blocks.size(); k++) {
                Block b = r.blocks.get(k);
                current = b;
                c.labelBinding(b.label);
                for (indexInBlock = 0; indexInBlock < b.insns.size(); indexInBlock++) {
                    Insn i = b.insns.get(indexInBlock);
                    if (!i.isControl()) body(i);
                }
                Block following = k + 1 < r.blocks.size() ? r.blocks.get(k + 1) : null;
                terminator(b, following);
            }
            for (int k = 0; k < outOfLine.size(); k++) outOfLine.get(k).run(); // may add more
            for (Block b : r.blocks) if (b.poll != null) pollStub(b);
            for (var e : exits.entrySet()) {
                c.labelBinding(e.getValue());
                pcConstant(e.getKey());
                c.lstore(NPC).goto_(epilogue);
            }
            siteExitStub();
            epilogueCode();
        }

        private void prologue() {
            c.iload(BUDGET).istore(REMAIN);
            c.aload(H).getfield(CD_HART, "x", CD_LONGS).astore(XA);
            // masked once here, so C2 knows its range: DBASE + a set's index (and + 1) is then always in bounds
            if (r.usesMemory) {
                c.aload(H).getfield(CD_HART, "mmu", CD_MMU).getfield(CD_MMU, "dataBase", CD_int)
                        .loadConstant(TlbBank.BASE_MASK).iand().istore(DBASE);
            }
            if (r.usesFloatingPoint) c.aload(H).getfield(CD_HART, "f", CD_LONGS).astore(FA);
            for (int reg = r.regsUsed.nextSetBit(1); reg >= 0 && reg < 32; reg = r.regsUsed.nextSetBit(reg + 1)) {
                c.aload(XA).bipush(reg).laload().lstore(slot(reg));
            }
        }

        private void epilogueCode() {
            c.labelBinding(epilogue);
            for (int reg = r.regsWritten.nextSetBit(1); reg >= 0 && reg < 32; reg = r.regsWritten.nextSetBit(reg + 1)) {
                c.aload(XA).bipush(reg).lload(slot(reg)).lastore();
            }
            c.aload(H).iload(BUDGET).iload(REMAIN).isub().putfield(CD_HART, "regionRetired", CD_int);
            c.lload(NPC).lreturn();
        }

        private void siteExitStub() {
            c.labelBinding(siteExit);
            c.istore(SITE);
            c.aload(THIS).iload(SITE).lload(VPAGE).aload(H).getfield(CD_HART, "trapped", CD_boolean)
                    .invokevirtual(CD_REGION, "sitePc", MethodTypeDesc.of(CD_long, CD_int, CD_long, CD_boolean)).lstore(NPC);
            c.iload(REMAIN).aload(THIS).iload(SITE).aload(H).getfield(CD_HART, "trapped", CD_boolean)
                    .invokevirtual(CD_REGION, "siteRetired", MethodTypeDesc.of(CD_int, CD_int, CD_boolean)).isub().istore(REMAIN);
            c.goto_(epilogue);
        }

        private void pollStub(Block b) {
            c.labelBinding(b.poll);
            c.iload(REMAIN).ifgt(b.label);
            c.labelBinding(b.pollExit);
            pcConstant(b.start);
            c.lstore(NPC).goto_(epilogue);
        }

        /** Pushes the guest pc vpage + off (masked to 32 bits on RV32). */
        private void pcConstant(long off) {
            c.lload(VPAGE).loadConstant(off).ladd();
            if (!rv64) c.loadConstant(0xffffffffL).land();
        }

        /** The label control goes to for a transfer from the current block to page offset target. */
        private Label edge(int target) {
            if (r.inRegion(target)) {
                Block t = r.blockAt[target >> 1];
                if (!r.closesLoop(current, t)) return t.label;
                if (t.poll == null) { t.poll = c.newLabel(); t.pollExit = c.newLabel(); }
                return t.poll;
            }
            return exits.computeIfAbsent(target, k -> c.newLabel());
        }

        private void terminator(Block b, Block following) {
            int n = b.insns.size();
            if (!b.endsInControl()) {
                c.iinc(REMAIN, -n);
                Label to = edge(b.next);
                if (following == null || to != following.label) c.goto_(to);
                return;
            }
            Insn i = b.last();
            int op = i.op();
            if (i.isBranch()) {
                if (ifConverted(b, i, n)) return;
                c.iinc(REMAIN, -n);
                Label taken = edge(i.off() + i.imm());
                compareAndBranch(i, taken);
                Label fall = edge(i.off() + i.len());
                if (following == null || fall != following.label) c.goto_(fall);
            } else if (op == Op.JAL) {
                if (i.rd() != 32) link(i);
                c.iinc(REMAIN, -n);
                c.goto_(edge(i.off() + i.imm()));
            } else { // JALR: the target first, rd may be rs1
                lx(i.rs1());
                c.loadConstant((long) i.imm()).ladd().loadConstant(~1L).land();
                if (!rv64) c.loadConstant(0xffffffffL).land();
                c.lstore(NPC);
                if (i.rd() != 32) link(i);
                c.iinc(REMAIN, -n);
                c.goto_(epilogue);
            }
        }

        /**
         * A forward branch over a short block of plain ALU instructions that falls into the branch's target
         * ({@code if (c) x = f(x)}) runs with no host branch: the block's instructions run, and a mask made from
         * the comparison selects each register they wrote, and the instruction count, between the block's
         * values and the skipped ones. Guest code branches like this on data (gcc's `if (v & 1) v >>= 1; else
         * ...`), which the host mispredicts half the time, and each misprediction costs a translated loop more
         * than QEMU's: C2 would not turn such a diamond into a conditional move itself, as the two ways subtract
         * different counts from the budget.
         */
        private boolean ifConverted(Block b, Insn i, int n) {
            int target = i.off() + i.imm(), fall = i.off() + i.len();
            if (i.imm() <= 0 || !r.inRegion(target) || !r.inRegion(fall)) return false;
            Block f = r.blockAt[fall >> 1], t = r.blockAt[target >> 1];
            if (f == t || f.endsInControl() || f.next != target || f.insns.size() > IF_CONVERT_MAX) return false;
            if (r.closesLoop(b, f)) return false; // (into the target, the edge below polls when it closes a loop)
            List<Integer> written = new ArrayList<>();
            for (Insn x : f.insns) {
                if (!plainAlu(x)) return false;
                if (x.rd() != 0 && x.rd() != 32 && !written.contains(x.rd())) written.add(x.rd());
            }
            branchMask(i);
            for (int k = 0; k < written.size(); k++) c.lload(slot(written.get(k))).lstore(KEPT + 2 * k);
            for (Insn x : f.insns) body(x);
            for (int k = 0; k < written.size(); k++) { // new ^ ((new ^ kept) & mask)
                int s = slot(written.get(k));
                c.lload(s).dup2().lload(KEPT + 2 * k).lxor().lload(MASK).land().lxor().lstore(s);
            }
            c.iinc(REMAIN, -n);
            c.iload(REMAIN).lload(MASK).l2i().iconst_m1().ixor().loadConstant(f.insns.size()).iand().isub().istore(REMAIN);
            c.goto_(edge(target));
            return true;
        }

        /** MASK becomes -1 when branch i is taken, else 0. */
        private void branchMask(Insn i) {
            lx(i.rs1());
            lx(i.rs2());
            switch (i.op()) {
                case Op.BEQ -> c.lxor().dup2().lneg().lor().bipush(63).lushr().lconst_1().lsub();
                case Op.BNE -> c.lxor().dup2().lneg().lor().bipush(63).lushr().lneg();
                case Op.BLT -> c.lcmp().bipush(31).ishr().i2l();
                case Op.BGE -> c.lcmp().bipush(31).ishr().iconst_m1().ixor().i2l();
                case Op.BLTU -> { compareUnsigned(); c.bipush(31).ishr().i2l(); }
                default -> { compareUnsigned(); c.bipush(31).ishr().iconst_m1().ixor().i2l(); } // BGEU
            }
            c.lstore(MASK);
        }

        private void link(Insn i) {
            pcConstant(i.off() + i.len());
            if (!rv64) c.l2i().i2l();
            sx(i.rd());
        }

        private void compareAndBranch(Insn i, Label taken) {
            boolean unsigned = i.op() == Op.BLTU || i.op() == Op.BGEU;
            lx(i.rs1());
            lx(i.rs2());
            if (unsigned) compareUnsigned(); else c.lcmp();
            switch (i.op()) {
                case Op.BEQ -> c.ifeq(taken);
                case Op.BNE -> c.ifne(taken);
                case Op.BLT, Op.BLTU -> c.iflt(taken);
                default -> c.ifge(taken);
            }
        }

        private int slot(int reg) { return REGS + 2 * (reg - 1); }

        private void lx(int reg) {
            if (reg == 0) c.lconst_0(); else c.lload(slot(reg));
        }

        private void sx(int reg) {
            if (reg == 0 || reg == 32) c.pop2(); else c.lstore(slot(reg));
        }

        /** A new exit site for instruction i of the current block. */
        private int site(Insn i) {
            r.sites.add(i);
            r.siteBefore.add(indexInBlock);
            return r.sites.size() - 1;
        }

        private void leaveAtSite(int site) {
            c.sipush(site).goto_(siteExit);
        }

        /** Whether {@link #body} computes i in locals alone: no memory, no fence, no helper that may trap or leave. */
        private static boolean plainAlu(Insn i) {
            return switch (i.op()) {
                case Op.FENCE, Op.LB, Op.LH, Op.LW, Op.LD, Op.LBU, Op.LHU, Op.LWU, Op.SB, Op.SH, Op.SW, Op.SD,
                     Op.AMO_W, Op.AMO_D, Op.FLW, Op.FLD, Op.FSW, Op.FSD, Op.FP -> false;
                default -> !i.isControl();
            };
        }

        private void body(Insn i) {
            int op = i.op(), rd = i.rd(), rs1 = i.rs1(), rs2 = i.rs2();
            long imm = i.imm();
            switch (op) {
                case Op.NOP -> { }
                // a spin-wait hint gives the host CPU to other threads (the hart it waits for may need it)
                case Op.FENCE -> c.invokestatic(imm == 1 ? CD_THREAD : CD_VarHandle, imm == 1 ? "yield" : "fullFence", MTD_void);
                case Op.LB, Op.LH, Op.LW, Op.LD, Op.LBU, Op.LHU, Op.LWU -> load(i);
                case Op.SB, Op.SH, Op.SW, Op.SD -> store(i);
                case Op.AMO_W, Op.AMO_D -> atomic(i);
                case Op.FLW, Op.FLD, Op.FSW, Op.FSD, Op.FP -> floatingPoint(i);
                default -> {
                    if (rd == 32) return; // ALU results into x0 have no effect
                    alu(i, op, rs1, rs2, imm);
                    sx(rd);
                }
            }
        }

        private void alu(Insn i, int op, int rs1, int rs2, long imm) {
            switch (op) {
                case Op.LUI -> c.loadConstant(imm);
                case Op.AUIPC -> {
                    pcConstant(i.off() + imm);
                    if (!rv64) c.l2i().i2l();
                }
                case Op.ADDI -> { lx(rs1); c.loadConstant(imm).ladd(); }
                case Op.SLTI -> { lx(rs1); c.loadConstant(imm).lcmp(); lessThan(); }
                case Op.SLTIU -> { lx(rs1); c.loadConstant(imm); compareUnsigned(); lessThan(); }
                case Op.XORI -> { lx(rs1); c.loadConstant(imm).lxor(); }
                case Op.ORI -> { lx(rs1); c.loadConstant(imm).lor(); }
                case Op.ANDI -> { lx(rs1); c.loadConstant(imm).land(); }
                case Op.SLLI -> { lx(rs1); c.loadConstant((int) imm).lshl(); }
                case Op.SRLI -> { lx(rs1); c.loadConstant((int) imm).lushr(); }
                case Op.SRAI -> { lx(rs1); c.loadConstant((int) imm).lshr(); }
                case Op.ADD -> { lx(rs1); lx(rs2); c.ladd(); }
                case Op.SUB -> { lx(rs1); lx(rs2); c.lsub(); }
                case Op.SLL -> { lx(rs1); lx(rs2); c.l2i().lshl(); }
                case Op.SLT -> { lx(rs1); lx(rs2); c.lcmp(); lessThan(); }
                case Op.SLTU -> { lx(rs1); lx(rs2); compareUnsigned(); lessThan(); }
                case Op.XOR -> { lx(rs1); lx(rs2); c.lxor(); }
                case Op.SRL -> { lx(rs1); lx(rs2); c.l2i().lushr(); }
                case Op.SRA -> { lx(rs1); lx(rs2); c.l2i().lshr(); }
                case Op.OR -> { lx(rs1); lx(rs2); c.lor(); }
                case Op.AND -> { lx(rs1); lx(rs2); c.land(); }
                case Op.ADDIW -> { lx(rs1); c.loadConstant(imm).ladd().l2i().i2l(); }
                case Op.SLLIW -> { lx(rs1); c.l2i().loadConstant((int) imm).ishl().i2l(); }
                case Op.SRLIW -> { lx(rs1); c.l2i().loadConstant((int) imm).iushr().i2l(); }
                case Op.SRAIW -> { lx(rs1); c.l2i().loadConstant((int) imm).ishr().i2l(); }
                case Op.ADDW -> { lx(rs1); lx(rs2); c.ladd().l2i().i2l(); }
                case Op.SUBW -> { lx(rs1); lx(rs2); c.lsub().l2i().i2l(); }
                case Op.SLLW -> { lx(rs1); c.l2i(); lx(rs2); c.l2i().ishl().i2l(); }
                case Op.SRLW -> { lx(rs1); c.l2i(); lx(rs2); c.l2i().iushr().i2l(); }
                case Op.SRAW -> { lx(rs1); c.l2i(); lx(rs2); c.l2i().ishr().i2l(); }
                case Op.MUL -> { lx(rs1); lx(rs2); c.lmul(); }
                case Op.MULW -> { lx(rs1); c.l2i(); lx(rs2); c.l2i().imul().i2l(); }
                case Op.MULH -> { lx(rs1); lx(rs2); c.invokestatic(CD_MATH, "multiplyHigh", MethodTypeDesc.of(CD_long, CD_long, CD_long)); }
                case Op.MULHU -> { lx(rs1); lx(rs2); c.invokestatic(CD_MATH, "unsignedMultiplyHigh", MethodTypeDesc.of(CD_long, CD_long, CD_long)); }
                default -> { // the rest of M: division and the RV32 high multiplies, one small method each
                    lx(rs1);
                    lx(rs2);
                    c.invokestatic(CD_INTERPRETER, Interpreter.mulDivMethod(op), MethodTypeDesc.of(CD_long, CD_long, CD_long));
                }
            }
        }

        /** Like lcmp, unsigned: HotSpot turns Long.compareUnsigned and the test of its result into one unsigned compare. */
        private void compareUnsigned() {
            c.invokestatic(CD_LONG, "compareUnsigned", MethodTypeDesc.of(CD_int, CD_long, CD_long));
        }

        /** lcmp result (-1, 0, 1) to 1 if less, else 0, as a long. */
        private void lessThan() {
            c.bipush(31).iushr().i2l();
        }

        /**
         * Looks the access at ADDR up in a data TLB (index in INDEX): on a hit ADDR becomes the host address
         * (the entry's addend plus ADDR); on a miss (or a misaligned access) control goes to {@code slow}.
         */
        private void hostAddress(String tlb, int size, Label slow) {
            tlb(tlb).iload(INDEX).laload().lload(ADDR).loadConstant(tagMask(size)).land().lcmp().ifne(slow);
            tlb(tlb).iload(INDEX).iconst_1().iadd().laload().lload(ADDR).ladd().lstore(ADDR);
        }

        /** Pushes one of the TLB bank's arrays (a constant once C2 compiles the region). */
        private CodeBuilder tlb(String field) { return c.getstatic(regionClass, field, CD_LONGS); }

        /** Computes the effective address into ADDR and the TLB index into INDEX. */
        private void address(Insn i) {
            address(i.rs1(), i.imm());
        }

        /** The same for rs1 + offset (an AMO's imm is its function: its address is rs1 alone). */
        private void address(int rs1, long offset) {
            lx(rs1);
            if (offset != 0) c.loadConstant(offset).ladd();
            if (!rv64) c.loadConstant(0xffffffffL).land();
            c.lstore(ADDR);
            // Mmu.dataIndex, in long arithmetic: C2 then folds the conversions back to int and out again away
            c.lload(ADDR).bipush(11).lushr().loadConstant(2L * Mmu.TLB_MASK).land().iload(DBASE).i2l().ladd().l2i().istore(INDEX);
        }

        private void load(Insn i) {
            int op = i.op(), rd = i.rd();
            int size = switch (op) { case Op.LB, Op.LBU -> 1; case Op.LH, Op.LHU -> 2; case Op.LW, Op.LWU -> 4; default -> 8; };
            Label slow = c.newLabel();
            address(i);
            hostAddress(READ_TLB, size, slow);
            c.lload(ADDR).invokestatic(CD_HOST_MEMORY, "get" + 8 * size, MethodTypeDesc.of(accessType(size), CD_long));
            switch (op) {
                case Op.LB, Op.LH, Op.LW -> c.i2l();
                case Op.LBU -> c.loadConstant(0xff).iand().i2l();
                case Op.LHU -> c.loadConstant(0xffff).iand().i2l();
                case Op.LWU -> c.i2l().loadConstant(0xffffffffL).land();
                default -> { }
            }
            sx(rd);
            leaveOnMiss(i, slow);
        }

        /**
         * A TLB miss leaves the region before the access: the interpreter performs it (MMIO, a page walk, a
         * fault) and goes on. Keeping every call out of the region's loops lets HotSpot keep the guest
         * registers in host registers there; a call on even a cold path makes it spill them around the loop.
         */
        private void leaveOnMiss(Insn i, Label slow) { retryInInterpreter(i, slow); }

        /** Binds {@code slow} out of line to leave the region before instruction i, for the interpreter to run it. */
        private void retryInInterpreter(Insn i, Label slow) {
            int before = indexInBlock;
            outOfLine.add(() -> {
                c.labelBinding(slow);
                if (before > 0) c.iinc(REMAIN, -before);
                c.aload(H).iconst_1().putfield(CD_HART, "interpretNext", CD_boolean);
                pcConstant(i.off());
                c.lstore(NPC).goto_(epilogue);
            });
        }

        private void store(Insn i) {
            int op = i.op();
            int size = switch (op) { case Op.SB -> 1; case Op.SH -> 2; case Op.SW -> 4; default -> 8; };
            Label slow = c.newLabel();
            address(i);
            hostAddress(WRITE_TLB, size, slow);
            c.lload(ADDR);
            lx(i.rs2());
            ClassDesc t = accessType(size);
            if (size < 8) {
                c.l2i();
                if (size == 1) c.i2b(); else if (size == 2) c.i2s();
            }
            c.invokestatic(CD_HOST_MEMORY, "put" + 8 * size, MethodTypeDesc.of(CD_void, CD_long, t));
            leaveOnMiss(i, slow);
        }

        /**
         * LR, SC and the AMOs inline on a TLB hit: one atomic access to host memory, with the reservation kept in
         * the hart's fields as {@link Atomics} keeps it, so both engines agree step for step. A miss, a misaligned
         * address (the tag compare fails) or MMIO leaves the region before the instruction, for the interpreter
         * to run it in Atomics with every check. Leaves the physical address in HOSTPAGE and the host address in
         * ADDR.
         */
        private void atomic(Insn i) {
            int funct = i.imm();
            boolean dbl = i.op() == Op.AMO_D;
            int size = dbl ? 8 : 4;
            boolean lr = funct == Op.LR;
            String tlb = lr ? READ_TLB : WRITE_TLB;
            Label slow = c.newLabel();
            address(i.rs1(), 0);
            tlb(tlb).iload(INDEX).laload().lload(ADDR).loadConstant(tagMask(size)).land().lcmp().ifne(slow);
            tlb(lr ? READ_PA : WRITE_PA).iload(INDEX).iconst_1().ishr().laload().lload(ADDR).loadConstant(0xfffL).land().lor().lstore(HOSTPAGE);
            tlb(tlb).iload(INDEX).iconst_1().iadd().laload().lload(ADDR).ladd().lstore(ADDR);
            if (lr) loadReserved(i, dbl, size);
            else if (funct == Op.SC) storeConditional(i, dbl);
            else {
                c.lload(ADDR).loadConstant(funct);
                lx(i.rs2());
                if (dbl) {
                    c.invokestatic(CD_HOST_MEMORY, "amo64", MethodTypeDesc.of(CD_long, CD_long, CD_int, CD_long));
                } else {
                    c.l2i().invokestatic(CD_HOST_MEMORY, "amo32", MethodTypeDesc.of(CD_int, CD_long, CD_int, CD_int)).i2l();
                }
                sx(i.rd());
                // the hart's own AMO on its reserved address breaks the reservation
                Label kept = c.newLabel();
                c.aload(H).getfield(CD_HART, "resAddr", CD_long).lload(HOSTPAGE).lcmp().ifne(kept);
                c.aload(H).loadConstant(-1L).putfield(CD_HART, "resAddr", CD_long);
                c.labelBinding(kept);
            }
            leaveOnMiss(i, slow);
        }

        /** LR: a volatile load, and the reservation on its physical address and the value read. */
        private void loadReserved(Insn i, boolean dbl, int size) {
            c.lload(ADDR);
            if (dbl) c.invokestatic(CD_HOST_MEMORY, "getVolatile64", MethodTypeDesc.of(CD_long, CD_long));
            else c.invokestatic(CD_HOST_MEMORY, "getVolatile32", MethodTypeDesc.of(CD_int, CD_long)).i2l();
            c.lstore(ADDR);
            c.aload(H).lload(HOSTPAGE).putfield(CD_HART, "resAddr", CD_long);
            c.aload(H).loadConstant(size).putfield(CD_HART, "resSize", CD_int);
            c.aload(H).lload(ADDR).putfield(CD_HART, "resValue", CD_long);
            c.lload(ADDR);
            sx(i.rd());
        }

        /** SC: a compare-and-swap against the value LR read, when the reservation is on this address and size. */
        private void storeConditional(Insn i, boolean dbl) {
            Label failed = c.newLabel(), done = c.newLabel();
            c.aload(H).getfield(CD_HART, "resAddr", CD_long).lload(HOSTPAGE).lcmp().ifne(failed);
            c.aload(H).getfield(CD_HART, "resSize", CD_int).loadConstant(dbl ? 8 : 4).if_icmpne(failed);
            c.lload(ADDR).aload(H).getfield(CD_HART, "resValue", CD_long);
            if (dbl) {
                lx(i.rs2());
                c.invokestatic(CD_HOST_MEMORY, "compareAndSet64", MethodTypeDesc.of(CD_boolean, CD_long, CD_long, CD_long));
            } else {
                c.l2i();
                lx(i.rs2());
                c.l2i().invokestatic(CD_HOST_MEMORY, "compareAndSet32", MethodTypeDesc.of(CD_boolean, CD_long, CD_int, CD_int));
            }
            c.ifeq(failed);
            c.aload(H).loadConstant(-1L).putfield(CD_HART, "resAddr", CD_long);
            c.lconst_0();
            sx(i.rd());
            c.goto_(done);
            c.labelBinding(failed);
            c.aload(H).loadConstant(-1L).putfield(CD_HART, "resAddr", CD_long);
            c.lconst_1();
            sx(i.rd());
            c.labelBinding(done);
        }

        /** FP operations run in FloatingPoint on the register files (FP registers stay in h.f). */
        private void floatingPoint(Insn i) {
            if (fastFloatingPoint(i)) return;
            int sub = i.op() == Op.FP ? i.imm() >>> 8 : -1;
            if (i.op() != Op.FP || RegionDiscovery.fpReadsX(sub)) spill(i.rs1());
            c.aload(H).getfield(CD_HART, "fp", CD_FP).loadConstant(i.w()).loadConstant(i.imm());
            pcConstant(i.off());
            c.invokevirtual(CD_FP, "execute", MethodTypeDesc.of(CD_void, CD_int, CD_int, CD_long));
            afterHelper(i, i.op() == Op.FP && RegionDiscovery.fpWritesX(sub) ? i.rd() : 0);
        }

        // ---- floating point inline: loads, stores, moves and the common double operations ----

        /** Emits the instruction inline if it has a fast form; false leaves it to the FloatingPoint helper. */
        private boolean fastFloatingPoint(Insn i) {
            int op = i.op();
            if (op == Op.FLW || op == Op.FLD || op == Op.FSW || op == Op.FSD) {
                fsCheck(i);
                if (op == Op.FLW || op == Op.FLD) fpLoad(i); else fpStore(i);
                return true;
            }
            int sub = i.imm() >>> 8, rm = i.imm() & 7, rd = i.rd(), rs1 = i.rs1(), rs2 = i.rs2();
            boolean dbl = (i.imm() & 8) != 0;
            if (!dbl && sub != Op.F_MV_X && sub != Op.F_MV_FROM_X) return false;
            boolean rounds = switch (sub) {
                case Op.F_SGNJ, Op.F_SGNJN, Op.F_SGNJX, Op.F_MV_X, Op.F_MV_FROM_X, Op.F_EQ, Op.F_LT, Op.F_LE -> false;
                case Op.F_CVT_FROM_W, Op.F_CVT_FROM_WU -> false; // exact in double
                case Op.F_MADD, Op.F_MSUB, Op.F_NMSUB, Op.F_NMADD, Op.F_ADD, Op.F_SUB, Op.F_MUL, Op.F_DIV, Op.F_SQRT,
                     Op.F_CVT_FROM_L, Op.F_CVT_FROM_LU -> true;
                case Op.F_CVT_W, Op.F_CVT_L -> true;
                default -> { yield false; }
            };
            boolean known = switch (sub) {
                case Op.F_MADD, Op.F_MSUB, Op.F_NMSUB, Op.F_NMADD, Op.F_ADD, Op.F_SUB, Op.F_MUL, Op.F_DIV, Op.F_SQRT,
                     Op.F_SGNJ, Op.F_SGNJN, Op.F_SGNJX, Op.F_MV_X, Op.F_MV_FROM_X, Op.F_EQ, Op.F_LT, Op.F_LE,
                     Op.F_CVT_FROM_W, Op.F_CVT_FROM_WU, Op.F_CVT_FROM_L, Op.F_CVT_FROM_LU -> true;
                case Op.F_CVT_W, Op.F_CVT_L -> rm == 1 || rm == 0 || rm == 7; // towards zero or to nearest
                default -> false;
            };
            if (!known) return false;
            boolean nearestOnly = rounds && !(sub == Op.F_CVT_W || sub == Op.F_CVT_L);
            if (nearestOnly && rm != 0 && rm != 7) return false; // static non-RNE rounding: the helper
            Label slow = c.newLabel();
            fsCheck(i);
            if (rm == 7) { // dynamic rounding: the fast paths are for frm = RNE (and a reserved frm traps, even if exact)
                c.aload(H).getfield(CD_HART, "csr", CD_CSR).getfield(CD_CSR, "frm", CD_int).ifne(slow);
            }
            switch (sub) {
                case Op.F_SGNJ -> { freg(rs1); c.loadConstant(Long.MAX_VALUE).land(); freg(rs2); c.loadConstant(Long.MIN_VALUE).land().lor(); }
                case Op.F_SGNJN -> { freg(rs1); c.loadConstant(Long.MAX_VALUE).land(); freg(rs2); c.loadConstant(-1L).lxor().loadConstant(Long.MIN_VALUE).land().lor(); }
                case Op.F_SGNJX -> { freg(rs1); freg(rs2); c.loadConstant(Long.MIN_VALUE).land().lxor(); }
                case Op.F_MV_X -> { // fmv.x.d / fmv.x.w: no FP state changes
                    if (rd == 32) return true;
                    freg(rs1);
                    if (!dbl) c.l2i().i2l();
                    sx(rd);
                    return true;
                }
                case Op.F_MV_FROM_X -> {
                    lx(rs1);
                    if (!dbl) c.loadConstant(0xffffffffL).land().loadConstant(0xffffffff00000000L).lor();
                }
                case Op.F_EQ, Op.F_LT, Op.F_LE -> {
                    freg(rs1);
                    freg(rs2);
                    c.loadConstant(sub - Op.F_EQ).invokestatic(CD_FPFAST, "compareD", MethodTypeDesc.of(CD_long, CD_long, CD_long, CD_int));
                    c.dup2().lconst_0().lcmp().iflt(slowWithValue(i, slow));
                    sx(rd); // no NaN, so no flags: FP state is unchanged
                    retryInInterpreter(i, slow);
                    return true;
                }
                case Op.F_CVT_W, Op.F_CVT_L -> {
                    int width = sub == Op.F_CVT_W ? 32 : 64;
                    freg(rs1);
                    c.loadConstant(width).invokestatic(CD_FPFAST, "toIntFits", MethodTypeDesc.of(CD_boolean, CD_long, CD_int)).ifeq(slow);
                    // FS becomes dirty only if the flags change (inexact)
                    c.aload(H).getfield(CD_HART, "fpu", CD_FPU).getfield(CD_FPU, "flags", CD_int).istore(SITE);
                    c.aload(H).getfield(CD_HART, "fpu", CD_FPU);
                    freg(rs1);
                    c.loadConstant(rm == 1 ? 0 : 1).loadConstant(width)
                            .invokestatic(CD_FPFAST, "toInt", MethodTypeDesc.of(CD_long, CD_FPU, CD_long, CD_boolean, CD_int));
                    sx(rd);
                    Label same = c.newLabel();
                    c.aload(H).getfield(CD_HART, "fpu", CD_FPU).getfield(CD_FPU, "flags", CD_int).iload(SITE).if_icmpeq(same);
                    fsDirty();
                    c.labelBinding(same);
                    retryInInterpreter(i, slow);
                    return true;
                }
                case Op.F_CVT_FROM_W -> { c.aload(H).getfield(CD_HART, "fpu", CD_FPU); lx(rs1); c.l2i().i2l().invokestatic(CD_FPFAST, "fromLong", MethodTypeDesc.of(CD_long, CD_FPU, CD_long)); }
                case Op.F_CVT_FROM_WU -> { c.aload(H).getfield(CD_HART, "fpu", CD_FPU); lx(rs1); c.loadConstant(0xffffffffL).land().invokestatic(CD_FPFAST, "fromLong", MethodTypeDesc.of(CD_long, CD_FPU, CD_long)); }
                case Op.F_CVT_FROM_L, Op.F_CVT_FROM_LU -> {
                    if (sub == Op.F_CVT_FROM_LU) { lx(rs1); c.lconst_0().lcmp().iflt(slow); }
                    c.aload(H).getfield(CD_HART, "fpu", CD_FPU);
                    lx(rs1);
                    c.invokestatic(CD_FPFAST, "fromLong", MethodTypeDesc.of(CD_long, CD_FPU, CD_long));
                }
                default -> { // arithmetic that may need the exact path
                    c.aload(H).getfield(CD_HART, "fpu", CD_FPU);
                    switch (sub) {
                        case Op.F_SQRT -> { freg(rs1); fastCall("sqrtD", 1); }
                        case Op.F_ADD -> { freg(rs1); freg(rs2); fastCall("addD", 2); }
                        case Op.F_SUB -> { freg(rs1); freg(rs2); fastCall("subD", 2); }
                        case Op.F_MUL -> { freg(rs1); freg(rs2); fastCall("mulD", 2); }
                        case Op.F_DIV -> { freg(rs1); freg(rs2); fastCall("divD", 2); }
                        default -> { // fused multiply-add: fmsub negates the addend, fnmsub the product, fnmadd both
                            boolean negProd = sub == Op.F_NMSUB || sub == Op.F_NMADD, negAdd = sub == Op.F_MSUB || sub == Op.F_NMADD;
                            freg(rs1);
                            if (negProd) c.loadConstant(Long.MIN_VALUE).lxor();
                            freg(rs2);
                            freg(Op.rs3(i.w()));
                            if (negAdd) c.loadConstant(Long.MIN_VALUE).lxor();
                            fastCall("fmaD", 3);
                        }
                    }
                    c.dup2().loadConstant(FpFast.SLOW).lcmp().ifeq(slowWithValue(i, slow));
                }
            }
            setFreg(rd);
            fsDirty();
            retryInInterpreter(i, slow);
            return true;
        }

        private void fastCall(String name, int operands) {
            MethodTypeDesc t = switch (operands) {
                case 1 -> MethodTypeDesc.of(CD_long, CD_FPU, CD_long);
                case 2 -> MethodTypeDesc.of(CD_long, CD_FPU, CD_long, CD_long);
                default -> MethodTypeDesc.of(CD_long, CD_FPU, CD_long, CD_long, CD_long);
            };
            c.invokestatic(CD_FPFAST, name, t);
        }

        /** A label that drops the long on the stack and goes to {@code slow} (stack maps need an empty stack there). */
        private Label slowWithValue(Insn i, Label slow) {
            Label drop = c.newLabel();
            outOfLine.add(() -> {
                c.labelBinding(drop);
                c.pop2().goto_(slow);
            });
            return drop;
        }

        private void freg(int reg) { c.aload(FA).bipush(reg).laload(); }

        private void setFreg(int reg) {
            c.lstore(ADDR).aload(FA).bipush(reg).lload(ADDR).lastore();
        }

        /** Leaves for the interpreter (which raises illegal-instruction) while mstatus.FS is off. */
        private void fsCheck(Insn i) {
            Label off = c.newLabel();
            c.aload(H).getfield(CD_HART, "csr", CD_CSR).getfield(CD_CSR, "mstatus", CD_long).loadConstant(Csr.FS).land().lconst_0().lcmp().ifeq(off);
            retryInInterpreter(i, off);
        }

        private void fsDirty() {
            c.aload(H).getfield(CD_HART, "csr", CD_CSR).dup().getfield(CD_CSR, "mstatus", CD_long).loadConstant(Csr.FS).lor()
                    .putfield(CD_CSR, "mstatus", CD_long);
        }

        private void fpLoad(Insn i) {
            boolean dbl = i.op() == Op.FLD;
            int size = dbl ? 8 : 4;
            Label slow = c.newLabel();
            address(i);
            hostAddress(READ_TLB, size, slow);
            c.lload(ADDR).invokestatic(CD_HOST_MEMORY, "get" + 8 * size, MethodTypeDesc.of(accessType(size), CD_long));
            if (!dbl) c.i2l().loadConstant(0xffffffffL).land().loadConstant(0xffffffff00000000L).lor(); // NaN-boxed
            setFreg(i.rd());
            fsDirty();
            leaveOnMiss(i, slow);
        }

        private void fpStore(Insn i) {
            boolean dbl = i.op() == Op.FSD;
            int size = dbl ? 8 : 4;
            Label slow = c.newLabel();
            address(i);
            hostAddress(WRITE_TLB, size, slow);
            c.lload(ADDR);
            freg(i.rs2());
            if (!dbl) c.l2i();
            c.invokestatic(CD_HOST_MEMORY, "put" + 8 * size, MethodTypeDesc.of(CD_void, CD_long, accessType(size)));
            leaveOnMiss(i, slow);
        }

        private void spill(int reg) {
            if (reg != 0) c.aload(XA).bipush(reg).lload(slot(reg)).lastore();
        }

        /** After a helper: leave if it trapped; else take its integer result, then leave if it needs attention. */
        private void afterHelper(Insn i, int rd) {
            int site = site(i);
            Label leave = c.newLabel(), on = c.newLabel();
            c.aload(H).getfield(CD_HART, "trapped", CD_boolean).ifne(leave);
            if (rd != 0 && rd != 32) c.aload(XA).bipush(rd).laload().lstore(slot(rd));
            c.aload(H).getfield(CD_HART, "attention", CD_boolean).ifeq(on);
            c.labelBinding(leave);
            leaveAtSite(site);
            c.labelBinding(on);
        }

        private long tagMask(int size) {
            return switch (size) { case 1 -> Mmu.M1; case 2 -> Mmu.M2; case 4 -> Mmu.M4; default -> Mmu.M8; };
        }

        private ClassDesc accessType(int size) {
            return switch (size) { case 1 -> CD_byte; case 2 -> CD_short; case 4 -> CD_int; default -> CD_long; };
        }
    }
}
