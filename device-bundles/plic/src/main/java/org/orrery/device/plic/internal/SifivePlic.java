package org.orrery.device.plic.internal;

import org.orrery.device.support.Harts;
import org.orrery.device.support.InterruptController;
import org.orrery.device.support.DeviceType;
import org.orrery.device.support.MmioDevice;
import org.orrery.device.support.RegisterBank;
import org.orrery.device.support.StateFields;
import org.orrery.machine.cpu.InterruptPin;
import org.orrery.machine.device.DeviceTreeContext;
import org.orrery.machine.device.HartWiring;
import org.orrery.machine.fdt.FdtNode;
import org.orrery.machine.irq.IrqLine;
import org.orrery.machine.state.StateDescription;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QomException;
import org.orrery.qom.TypeProvider;
import org.osgi.service.component.annotations.Component;

import java.util.ArrayList;
import java.util.List;

import static org.orrery.device.support.DeviceProperties.uint32;

/**
 * The RISC-V PLIC (RISC-V PLIC specification 1.0.0). Sources 1..num-sources-1 each have a priority
 * (0 = never interrupts), a pending bit and a level-triggered gateway: a source becomes pending while its
 * line is high and it is not in flight (claimed and not yet completed); after completion a line that is
 * still high makes it pending again. Each context (a hart's M or S mode, from {@code hart-config}) has
 * enable bits, a priority threshold and a claim/complete register; its interrupt output is asserted while
 * an enabled pending source has a priority above the threshold. Context outputs drive the harts' MEIP
 * (M contexts) and SEIP (S contexts).
 */
final class SifivePlic extends MmioDevice implements InterruptController, HartWiring {
    static final String TYPE = "riscv.sifive.plic";
    static final String DESCRIPTION = "RISC-V platform-level interrupt controller (SiFive PLIC): priorities, pending "
            + "bits, per-context enables, thresholds and claim/complete";

    static final Property<String> HART_CONFIG = Property.of("hart-config", PropertyTypes.STR).defaultValue("MS")
            .description("contexts per hart, comma-separated: 'M' and/or 'S' for each hart from hartid-base");
    static final Property<Long> HARTID_BASE = uint32("hartid-base", 0L, "hart id of the first hart in hart-config");
    static final Property<Long> NUM_SOURCES = uint32("num-sources", 96L, "number of interrupt sources including the reserved source 0");
    static final Property<Long> NUM_PRIORITIES = uint32("num-priorities", 7L, "highest priority level");
    static final Property<Long> PRIORITY_BASE = Property.of("priority-base", PropertyTypes.UINT32).defaultValue(0x0L);
    static final Property<Long> PENDING_BASE = Property.of("pending-base", PropertyTypes.UINT32).defaultValue(0x1000L);
    static final Property<Long> ENABLE_BASE = Property.of("enable-base", PropertyTypes.UINT32).defaultValue(0x2000L);
    static final Property<Long> ENABLE_STRIDE = Property.of("enable-stride", PropertyTypes.UINT32).defaultValue(0x80L);
    static final Property<Long> CONTEXT_BASE = Property.of("context-base", PropertyTypes.UINT32).defaultValue(0x200000L);
    static final Property<Long> CONTEXT_STRIDE = Property.of("context-stride", PropertyTypes.UINT32).defaultValue(0x1000L);
    static final Property<Long> APERTURE_SIZE = Property.of("aperture-size", PropertyTypes.UINT32).defaultValue(0x600000L);

    /** The SiFive PLIC type, with QEMU's property names. */
    @Component(service = TypeProvider.class)
    public static final class Type extends DeviceType {
        public Type() { super(() -> type(TYPE, SifivePlic.class, SifivePlic::new).description(DESCRIPTION)); }
    }

    /** One target context: a hart's M- or S-mode external interrupt. */
    private record Context(long hartId, char mode, IrqLine output) { }

    private int sources;
    private int words;
    private long maxPriority;
    private long[] priority;
    private int[] pending;      // bit per source
    private int[] inFlight;     // claimed, not completed
    private boolean[] level;    // the input lines
    private int[][] enable;     // [context][word]
    private long[] threshold;
    private boolean[] outputLevel;
    private List<Context> contexts = List.of();

    /**
     * Per source: priority, pending, claimed (in flight) and the level of its input line (the gateway needs it
     * when a claimed source completes); per context: enables and threshold. The context outputs follow from
     * these and are driven again after a load.
     */
    static final StateDescription<SifivePlic> STATE = state(TYPE, SifivePlic.class, 1)
            .longs("priority", p -> p.priority)
            .field(StateFields.ints("pending", p -> p.pending))
            .field(StateFields.ints("in-flight", p -> p.inFlight))
            .field(StateFields.booleans("input-level", p -> p.level))
            .field(StateFields.intRows("enable", p -> p.enable))
            .longs("threshold", p -> p.threshold)
            .afterLoad(SifivePlic::driveOutputs)
            .build();

    @Override public StateDescription<?> stateDescription() { return STATE; }

    /** Drives every context output with the level the loaded state gives, whatever it was before. */
    private void driveOutputs() {
        for (int c = 0; c < contexts.size(); c++) {
            outputLevel[c] = best(c) != 0;
            contexts.get(c).output().setLevel(outputLevel[c]);
        }
    }

    @Override protected RegisterBank realizeRegisters() {
        sources = (int) (long) get(NUM_SOURCES);
        if (sources < 2 || sources > 1024) throw new QomException(describe() + ": num-sources must be 2..1024, got " + sources);
        maxPriority = get(NUM_PRIORITIES);
        words = (sources + 31) / 32;
        contexts = parseHartConfig(get(HART_CONFIG), get(HARTID_BASE));
        int n = contexts.size();
        priority = new long[sources];
        pending = new int[words];
        inFlight = new int[words];
        level = new boolean[sources];
        enable = new int[n][words];
        threshold = new long[n];
        outputLevel = new boolean[n];

        long enableStride = get(ENABLE_STRIDE), contextStride = get(CONTEXT_STRIDE);
        long size = get(APERTURE_SIZE);
        if (get(CONTEXT_BASE) + n * contextStride > size)
            throw new QomException(describe() + ": " + n + " contexts do not fit in aperture-size 0x" + Long.toHexString(size));
        RegisterBank regs = registers(size)
                .array(get(PRIORITY_BASE) + 4, sources - 1, 4, 4, "priority", i -> priority[i + 1],
                        (i, v) -> writeLevel(priority, i + 1, "prio", "priority", v))
                .array(get(PENDING_BASE), words, 4, 4, "pending", i -> pending[i] & 0xffffffffL, null);
        for (int c = 0; c < n; c++) {
            final int ctx = c;
            regs.array(get(ENABLE_BASE) + c * enableStride, words, 4, 4, "enable" + c,
                    w -> enable[ctx][w] & 0xffffffffL, (w, v) -> writeEnable(ctx, w, v));
            long cb = get(CONTEXT_BASE) + c * contextStride;
            regs.reg(cb, 4, "threshold" + c).read(() -> threshold[ctx])
                    .write(v -> writeLevel(threshold, ctx, "threshold", "threshold", v))
                .reg(cb + 4, 4, "claim-complete" + c).read(() -> claim(ctx)).write(v -> complete(ctx, v)).peek(() -> 0);
        }
        return regs;
    }

    private List<Context> parseHartConfig(String config, long hartBase) {
        List<Context> out = new ArrayList<>();
        String[] harts = config.split(",", -1);
        for (int h = 0; h < harts.length; h++) {
            long hartId = hartBase + h;
            for (char mode : harts[h].toCharArray()) {
                InterruptPin pin = switch (mode) {
                    case 'M' -> InterruptPin.MEIP;
                    case 'S' -> InterruptPin.SEIP;
                    case 'U' -> null;
                    default -> throw new QomException(describe() + ": hart-config '" + config + "' has an unknown mode '" + mode + "' (use M, S or U)");
                };
                IrqLine line = pin == null ? IrqLine.UNCONNECTED : Harts.require(tree(), hartId, describe()).interruptPin(pin);
                out.add(new Context(hartId, mode, line));
            }
        }
        if (out.isEmpty()) throw new QomException(describe() + ": hart-config '" + config + "' names no context");
        return out;
    }

    @Override protected void disconnect() {
        for (Context c : contexts) c.output().lower();
        contexts = List.of();
    }

    @Override public void reset() {
        if (priority == null) return;
        java.util.Arrays.fill(priority, 0);
        java.util.Arrays.fill(pending, 0);
        java.util.Arrays.fill(inFlight, 0);
        for (int[] e : enable) java.util.Arrays.fill(e, 0);
        java.util.Arrays.fill(threshold, 0);
        for (int s = 1; s < sources; s++) if (level[s]) setBit(pending, s, true); // lines that are still high
        update();
    }

    // ---- inputs ----

    @Override public int inputCount() { return sources; }

    @Override public IrqLine input(int source) {
        if (priority == null) throw new QomException(describe() + " is not realized");
        if (source < 1 || source >= sources)
            throw new QomException(describe() + " has interrupt sources 1.." + (sources - 1) + ", not " + source);
        return asserted -> setLevel(source, asserted);
    }

    private void setLevel(int source, boolean asserted) {
        level[source] = asserted;
        if (asserted) {
            if (!bit(inFlight, source)) setBit(pending, source, true);
        } else {
            setBit(pending, source, false); // level-triggered: a withdrawn request is no longer pending
        }
        update();
    }

    // ---- registers ----

    private void writeEnable(int ctx, int word, long value) {
        int v = (int) value;
        if (word == 0) v &= ~1; // source 0 does not exist
        if (word == words - 1 && sources % 32 != 0) v &= (1 << (sources % 32)) - 1;
        enable[ctx][word] = v;
        update();
    }

    /**
     * A guest write of a source's priority or a context's threshold ({@code what}, into {@code levels[index]}): one
     * above num-priorities is ignored (a guest error, logged once per {@code site}).
     */
    private void writeLevel(long[] levels, int index, String site, String what, long value) {
        if (value > maxPriority) {
            log().guestError(site, what + " " + value + " above num-priorities " + maxPriority + " ignored");
            return;
        }
        levels[index] = value;
        update();
    }

    /** The highest-priority enabled pending source above the context's threshold (lowest id on ties), or 0. */
    private int best(int ctx) {
        int best = 0;
        long bestPriority = threshold[ctx];
        for (int w = 0; w < words; w++) {
            int candidates = pending[w] & enable[ctx][w];
            while (candidates != 0) {
                int b = Integer.numberOfTrailingZeros(candidates);
                candidates &= candidates - 1;
                int s = w * 32 + b;
                if (priority[s] > bestPriority) { best = s; bestPriority = priority[s]; }
            }
        }
        return best;
    }

    private long claim(int ctx) {
        int s = best(ctx);
        if (s != 0) {
            setBit(pending, s, false);
            setBit(inFlight, s, true);
            update();
        }
        return s;
    }

    private void complete(int ctx, long value) {
        if (value <= 0 || value >= sources) {
            log().guestError("complete-range", "completion of nonexistent source " + value);
            return;
        }
        int s = (int) value;
        if (!bit(enable[ctx], s)) return; // spec: completions for sources not enabled for the target are ignored
        setBit(inFlight, s, false);
        if (level[s]) setBit(pending, s, true); // still asserted: the gateway forwards a new request
        update();
    }

    /** The harts were made again: each context takes its hart's new pin and drives it with its level. */
    @Override public void rewireHarts() {
        contexts = parseHartConfig(get(HART_CONFIG), get(HARTID_BASE));
        for (int c = 0; c < contexts.size(); c++) contexts.get(c).output().setLevel(outputLevel[c]);
    }

    private void update() {
        for (int c = 0; c < contexts.size(); c++) {
            boolean l = best(c) != 0;
            if (l != outputLevel[c]) {
                outputLevel[c] = l;
                contexts.get(c).output().setLevel(l);
            }
        }
    }

    private static boolean bit(int[] set, int n) { return (set[n >> 5] & (1 << (n & 31))) != 0; }

    private static void setBit(int[] set, int n, boolean on) {
        if (on) set[n >> 5] |= 1 << (n & 31); else set[n >> 5] &= ~(1 << (n & 31));
    }

    // ---- device tree ----

    @Override protected FdtNode deviceTreeNode(DeviceTreeContext context) {
        int[] intc = context.hartInterruptControllers();
        long[] cells = new long[2 * contexts.size()];
        int k = 0;
        for (Context c : contexts) {
            if (c.mode() == 'U') continue;
            cells[k++] = c.hartId() < intc.length ? intc[(int) c.hartId()] : 0;
            cells[k++] = c.mode() == 'M' ? InterruptPin.MEIP.mipBit() : InterruptPin.SEIP.mipBit();
        }
        return socNode("plic", context).u32("phandle", context.interruptParent()).u32("riscv,ndev", sources)
                .u32("interrupts-extended", java.util.Arrays.copyOf(cells, k)).empty("interrupt-controller")
                .string("compatible", "sifive,plic-1.0.0", "riscv,plic0").u32("#address-cells", 0).u32("#interrupt-cells", 1);
    }
}
