package org.orrery.cpu.riscv.internal;

import java.lang.classfile.Label;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * What a region covers: from one entry inside one 4 KiB physical page, the code reachable by fall-through,
 * conditional branches and plain jumps (up to a limit), cut into blocks at every branch target, with the
 * guest registers it reads and writes. {@link RegionCompiler} turns it into bytecode.
 */
final class RegionDiscovery {
    private final Decoder decoder;
    /** Whether the hart has C: without it a jump to a 2-byte aligned target is a trap the interpreter takes. */
    private final boolean compressed;

    RegionDiscovery(Decoder decoder, boolean compressed) {
        this.decoder = decoder;
        this.compressed = compressed;
    }


    /** One decoded guest instruction at a page offset. */
    record Insn(int off, int len, int w, int imm) {
        int op() { return w & 0xff; }
        int rd() { return Op.rd(w); }
        int rs1() { return Op.rs1(w); }
        int rs2() { return Op.rs2(w); }
        boolean isBranch() { return op() >= Op.BEQ && op() <= Op.BGEU; }
        boolean isControl() { return isBranch() || op() == Op.JAL || op() == Op.JALR; }
    }

    static final class Block {
        final int start;
        final List<Insn> insns = new ArrayList<>();
        /** Where a block without a control instruction at its end goes on (an in-region block or an exit). */
        int next = -1;
        Label label, poll, pollExit;
        Block(int start) { this.start = start; }
        Insn last() { return insns.getLast(); }
        boolean endsInControl() { return !insns.isEmpty() && last().isControl(); }
    }

    static final class Region {
        final DecodedPage page;
        final Insn[] at = new Insn[DecodedPage.SLOTS];
        final BitSet leaders = new BitSet(DecodedPage.SLOTS);
        final Block[] blockAt = new Block[DecodedPage.SLOTS];
        final List<Block> blocks = new ArrayList<>();
        final List<Insn> sites = new ArrayList<>();
        final List<Integer> siteBefore = new ArrayList<>();
        final BitSet regsUsed = new BitSet(33), regsWritten = new BitSet(33);
        int count, entry;
        boolean usesMemory, usesFloatingPoint;

        Region(DecodedPage page) { this.page = page; }

        boolean inRegion(int off) { return off >= 0 && off < 4096 && blockAt[off >> 1] != null && blockAt[off >> 1].start == off; }

        /** The in-region blocks control goes to from the end of {@code b}. */
        private List<Block> successors(Block b) {
            List<Block> out = new ArrayList<>(2);
            if (!b.endsInControl()) {
                if (inRegion(b.next)) out.add(blockAt[b.next >> 1]);
                return out;
            }
            Insn i = b.last();
            if (i.isBranch() || i.op() == Op.JAL) {
                int target = i.off() + i.imm();
                if (inRegion(target)) out.add(blockAt[target >> 1]);
            }
            if (i.isBranch() && inRegion(i.off() + i.len())) out.add(blockAt[(i.off() + i.len()) >> 1]);
            return out;
        }

        /**
         * The blocks run() may also be entered at: every block but those inside a loop below its header. Entering
         * a loop anywhere but at its header would make it a loop with two entries, which C1 and C2 compile
         * poorly (measured: the profiling tier ran a hash loop at half speed); a hart that arrives inside a loop
         * runs on in the interpreter to the header, at most one iteration.
         */
        boolean[] enterable() {
            if (enterable == null) enterable = findEnterable();
            return enterable;
        }

        /**
         * Whether control going from block {@code from} to block {@code to} closes a loop: an edge back to a block
         * on the depth-first path from the entry. Every cycle holds one, and its target is the loop's header,
         * where run() may be entered; so these edges, and not those that merely go to a lower address, check
         * the budget and leave there. (A loop entered below its top, e.g. a list walk compiled as
         * {@code top: mv; head: ...; bnez top}, was left at its top, a block run() cannot be entered at, and
         * the interpreter then ran the rest of the loop.)
         */
        boolean closesLoop(Block from, Block to) {
            enterable();
            return backEdges.contains((long) from.start << 32 | to.start);
        }

        private boolean[] enterable;
        private final java.util.Set<Long> backEdges = new java.util.HashSet<>();

        private boolean[] findEnterable() {
            int n = blocks.size();
            java.util.Map<Block, Integer> index = new java.util.IdentityHashMap<>();
            for (int k = 0; k < n; k++) index.put(blocks.get(k), k);
            List<List<Integer>> succ = new ArrayList<>(), pred = new ArrayList<>();
            for (int k = 0; k < n; k++) { succ.add(new ArrayList<>()); pred.add(new ArrayList<>()); }
            for (int k = 0; k < n; k++)
                for (Block t : successors(blocks.get(k))) {
                    int j = index.get(t);
                    succ.get(k).add(j);
                    pred.get(j).add(k);
                }
            boolean[] inside = new boolean[n], header = new boolean[n];
            nest = new int[n];
            for (int k = 0; k < n; k++) nest[k] = k;
            int[] state = new int[n];   // 0 unseen, 1 on the depth-first path, 2 done
            int[] next = new int[n];
            java.util.ArrayDeque<Integer> path = new java.util.ArrayDeque<>();
            int root = index.get(blockAt[entry >> 1]);
            path.push(root);
            state[root] = 1;
            while (!path.isEmpty()) {
                int u = path.peek();
                if (next[u] < succ.get(u).size()) {
                    int v = succ.get(u).get(next[u]++);
                    if (state[v] == 0) { state[v] = 1; path.push(v); }
                    else if (state[v] == 1) {
                        for (int w : markLoopBody(v, u, pred, inside)) union(w, v);
                        header[v] = true;
                        backEdges.add((long) blocks.get(u).start << 32 | blocks.get(v).start);
                    }
                } else {
                    state[u] = 2;
                    path.pop();
                }
            }
            boolean[] enterable = new boolean[n];
            for (int k = 0; k < n; k++) enterable[k] = !inside[k] || header[k];
            inLoop = new boolean[n];
            for (int k = 0; k < n; k++) inLoop[k] = inside[k] || header[k];
            blockIndex = index;
            return enterable;
        }

        /** Loop nests: blocks of loops that share a block are one nest (union-find, filled by findEnterable). */
        private int[] nest;
        private boolean[] inLoop;
        private java.util.Map<Block, Integer> blockIndex;

        private int find(int k) {
            while (nest[k] != k) k = nest[k] = nest[nest[k]];
            return k;
        }

        private void union(int a, int b) {
            nest[find(a)] = find(b);
        }

        /**
         * Page offsets (as halfword slots) where control enters a loop nest other than the one the entry is in
         * (or any nest, for an entry outside loops): the region is discovered again without following them, so
         * it holds at most one loop nest, with the code around it, and each loop is compiled from its own
         * profile. (A region holding a fill loop, a hash loop and a CRC loop one after another was compiled by
         * C2 from whatever those loops had run when it got hot: the CPU benchmark's hash kernel ran 94 ms in
         * one run and 141 ms in the next; on its own region, 72-79 ms, QEMU 104.)
         */
        BitSet loopEntries() {
            enterable();
            int root = blockIndex.get(blockAt[entry >> 1]);
            int own = inLoop[root] ? find(root) : -1;
            BitSet otherNests = new BitSet(DecodedPage.SLOTS);
            for (Block b : blocks)
                for (Block t : successors(b)) {
                    int j = blockIndex.get(t);
                    if (t.start != entry && inLoop[j] && find(j) != own) otherNests.set(t.start >> 1);
                }
            return otherNests;
        }

        /** Marks the blocks of the loop closed by the edge tail -> header, the header excepted, and returns them. */
        private static List<Integer> markLoopBody(int header, int tail, List<List<Integer>> pred, boolean[] inside) {
            java.util.ArrayDeque<Integer> work = new java.util.ArrayDeque<>();
            List<Integer> body = new ArrayList<>();
            boolean[] seen = new boolean[inside.length];
            seen[header] = true;
            if (tail != header) { seen[tail] = true; work.push(tail); }
            while (!work.isEmpty()) {
                int w = work.pop();
                inside[w] = true;
                body.add(w);
                for (int p : pred.get(w)) if (!seen[p]) { seen[p] = true; work.push(p); }
            }
            return body;
        }

        long[] coverage() {
            long[] c = new long[DecodedPage.SLOTS / 64];
            for (Insn i : at) {
                if (i == null) continue;
                for (int s = i.off >> 1; s <= (i.off + i.len - 1) >> 1; s++) c[s >>> 6] |= 1L << (s & 63);
            }
            return c;
        }

        String listing(long vpage, int codeBytes) {
            StringBuilder sb = new StringBuilder("IN: region at 0x").append(Long.toHexString(vpage + entry))
                    .append(" (").append(count).append(" instructions, ").append(codeBytes).append(" bytes of bytecode)\n");
            for (Insn i : at) {
                if (i == null) continue;
                int bits = rawBits(page, i.off, i.len);
                String raw = i.len == 4 ? String.format("%08x", bits) : String.format("    %04x", bits);
                sb.append(String.format("0x%016x:  %s  %s%n", vpage + i.off, raw, Op.name(i.w, i.imm)));
            }
            return sb.append('\n').toString();
        }
    }

    /** Decodes the translatable instruction at off, or null (system instruction, page end, undecodable). */
    private Insn decode(DecodedPage page, int off) {
        if (off + 2 > page.validBytes) return null;
        int lo = page.segment.get(Mmu.L16, page.segmentOffset + off) & 0xffff;
        long d;
        int len;
        if ((lo & 3) != 3) {
            d = decoder.decode(lo);
            len = 2;
        } else {
            if (off + 4 > page.validBytes) return null;
            int hi = page.segment.get(Mmu.L16, page.segmentOffset + off + 2) & 0xffff;
            d = decoder.decode32(lo | hi << 16);
            len = 4;
        }
        Insn i = new Insn(off, len, (int) d, (int) (d >> 32));
        return translatable(i) ? i : null;
    }

    private boolean translatable(Insn i) {
        int op = i.op();
        if (op >= Op.FENCE_I && op <= Op.CSRRCI || op == Op.ILLEGAL || op == Op.UNDECODED) return false;
        // without C, a jump to a misaligned target traps: the interpreter raises that
        if (!compressed && (op == Op.JALR || ((i.isBranch() || op == Op.JAL) && (i.imm & 3) != 0))) return false;
        return true;
    }

    private static int rawBits(DecodedPage page, int off, int len) {
        int lo = page.segment.get(Mmu.L16, page.segmentOffset + off) & 0xffff;
        return len == 2 ? lo : lo | (page.segment.get(Mmu.L16, page.segmentOffset + off + 2) & 0xffff) << 16;
    }

    /**
     * The region entered at {@code entrySlot}, of at most {@code limit} instructions; null when nothing there
     * translates. It ends where control enters another loop nest (see {@link Region#loopEntries}).
     */
    Region discover(DecodedPage page, int entrySlot, int limit) {
        Region r = discover(page, entrySlot, limit, null);
        if (r == null) return null;
        BitSet otherNests = r.loopEntries();
        return otherNests.isEmpty() ? r : discover(page, entrySlot, limit, otherNests);
    }

    private Region discover(DecodedPage page, int entrySlot, int limit, BitSet stops) {
        Region r = new Region(page);
        r.entry = entrySlot << 1;
        java.util.ArrayDeque<Integer> work = new java.util.ArrayDeque<>();
        work.push(r.entry);
        r.leaders.set(entrySlot);
        while (!work.isEmpty()) {
            int o = work.pop();
            while (o < 4096 && r.at[o >> 1] == null && r.count < limit && (stops == null || !stops.get(o >> 1))) {
                Insn i = decode(page, o);
                if (i == null) break;
                r.at[o >> 1] = i;
                r.count++;
                int next = o + i.len;
                if (i.isBranch()) {
                    follow(r, work, o + i.imm);
                    follow(r, work, next);
                    break;
                }
                if (i.op() == Op.JAL) {
                    if (i.rd() == 32) follow(r, work, o + i.imm);
                    break;
                }
                if (i.op() == Op.JALR) break;
                o = next;
            }
        }
        if (r.at[entrySlot] == null) return null;
        includeReturns(page, r, stops);
        // blocks: from each leader that holds an instruction to the next leader or control instruction
        for (int s = r.leaders.nextSetBit(0); s >= 0; s = r.leaders.nextSetBit(s + 1)) {
            if (r.at[s] == null) continue;
            Block b = new Block(s << 1);
            r.blockAt[s] = b;
            r.blocks.add(b);
        }
        for (Block b : r.blocks) {
            int o = b.start;
            while (true) {
                Insn i = o < 4096 ? r.at[o >> 1] : null;
                if (i == null || (o != b.start && r.leaders.get(o >> 1))) { b.next = o; break; }
                b.insns.add(i);
                if (i.isControl()) break;
                o += i.len;
            }
        }
        // registers, memory
        for (Block b : r.blocks) {
            for (Insn i : b.insns) noteRegisters(r, i);
        }
        return r;
    }

    /** Instructions of a function's return path that a region takes in beyond its limit. */
    private static final int RETURN_PATH = 8;

    /**
     * Adds the branch targets left out by the limit that are short straight paths ending in a return (JALR):
     * a function's early return or epilogue. Each would otherwise be a region of its own, entered from the
     * dispatcher only to leave it again a few instructions later.
     */
    private void includeReturns(DecodedPage page, Region r, BitSet stops) {
        for (int s = r.leaders.nextSetBit(0); s >= 0; s = r.leaders.nextSetBit(s + 1)) {
            if (r.at[s] != null) continue;
            int o = s << 1, n = 0;
            Insn[] path = new Insn[RETURN_PATH];
            boolean returns = false;
            while (o < 4096 && n < RETURN_PATH && r.at[o >> 1] == null && (stops == null || !stops.get(o >> 1))) {
                Insn i = decode(page, o);
                if (i == null || i.isBranch() || i.op() == Op.JAL) break;
                path[n++] = i;
                if (i.op() == Op.JALR) { returns = true; break; }
                o += i.len;
            }
            if (!returns) continue;
            for (int k = 0, at = s << 1; k < n; at += path[k].len, k++) {
                r.at[at >> 1] = path[k];
                r.count++;
            }
        }
    }

    private static void follow(Region r, java.util.ArrayDeque<Integer> work, int target) {
        if (target < 0 || target >= 4096) return;
        r.leaders.set(target >> 1);
        work.push(target);
    }

    private static void noteRegisters(Region r, Insn i) {
        int op = i.op();
        switch (op) {
            case Op.NOP, Op.FENCE -> { }
            case Op.LUI, Op.AUIPC, Op.JAL -> write(r, i.rd());
            case Op.BEQ, Op.BNE, Op.BLT, Op.BGE, Op.BLTU, Op.BGEU -> { read(r, i.rs1()); read(r, i.rs2()); }
            case Op.SB, Op.SH, Op.SW, Op.SD -> { read(r, i.rs1()); read(r, i.rs2()); r.usesMemory = true; }
            case Op.LB, Op.LH, Op.LW, Op.LD, Op.LBU, Op.LHU, Op.LWU -> { read(r, i.rs1()); write(r, i.rd()); r.usesMemory = true; }
            case Op.AMO_W, Op.AMO_D -> { read(r, i.rs1()); read(r, i.rs2()); write(r, i.rd()); r.usesMemory = true; }
            case Op.FLW, Op.FLD, Op.FSW, Op.FSD -> { read(r, i.rs1()); r.usesMemory = true; r.usesFloatingPoint = true; }
            case Op.FP -> {
                r.usesFloatingPoint = true;
                int sub = i.imm >>> 8;
                if (fpReadsX(sub)) read(r, i.rs1());
                if (fpWritesX(sub)) write(r, i.rd());
            }
            default -> { read(r, i.rs1()); read(r, i.rs2()); write(r, i.rd()); } // ALU ops, JALR
        }
    }

    private static void read(Region r, int reg) { if (reg != 0) r.regsUsed.set(reg); }
    private static void write(Region r, int reg) { if (reg != 0 && reg != 32) { r.regsUsed.set(reg); r.regsWritten.set(reg); } }

    static boolean fpReadsX(int sub) { return sub >= Op.F_CVT_FROM_W && sub <= Op.F_MV_FROM_X; }
    static boolean fpWritesX(int sub) { return sub >= Op.F_CVT_W && sub <= Op.F_CLASS; }
}
