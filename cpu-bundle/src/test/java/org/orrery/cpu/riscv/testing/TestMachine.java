package org.orrery.cpu.riscv.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import org.orrery.cpu.riscv.RiscvConfig;
import org.orrery.cpu.riscv.RiscvHartFactory;
import org.orrery.cpu.riscv.internal.TestHarts;
import org.orrery.machine.cpu.Acceleration;
import org.orrery.machine.cpu.Hart;
import org.orrery.machine.cpu.HartEnvironment;
import org.orrery.machine.cpu.InterruptPin;
import org.orrery.machine.cpu.StopReason;
import org.orrery.machine.memory.AddressSpace;
import org.orrery.machine.memory.MemoryRegion;
import org.orrery.machine.memory.MmioHandler;

/**
 * A minimal QEMU-virt-like machine for tests: 128 MiB RAM at 0x80000000, an ns16550a-ish UART at
 * 0x10000000 that collects output, the SiFive test finisher at 0x100000 and a CLINT at 0x2000000.
 */
public final class TestMachine {
    public static final long RAM_BASE = 0x8000_0000L;
    public static final long RAM_SIZE = 128L << 20;
    /** Virtual nanoseconds per executed instruction (1 GHz). */
    public static final long NS_PER_INSN = 1;

    public final TestClock clock = new TestClock();
    public final MemorySegment ram;
    public final AddressSpace bus;
    public final Hart hart;
    public final HartEnvironment env;
    private final ByteArrayOutputStream uart = new ByteArrayOutputStream();
    private Integer finisher;
    private long mtimecmp = -1;
    private final org.orrery.machine.clock.VirtualClock.Timer mtimer;

    public TestMachine() { this(RiscvConfig.rv64gc(0, RAM_BASE)); }

    public TestMachine(Engine engine) { this(RiscvConfig.rv64gc(0, RAM_BASE), engine); }

    public TestMachine(RiscvConfig config) { this(config, Engine.INTERPRETER); }

    public TestMachine(RiscvConfig config, Engine engine) {
        this(config, engine == Engine.INTERPRETER ? Acceleration.INTERPRETER : Acceleration.DEFAULT,
                engine == Engine.TRANSLATOR ? TestHarts.translator(2, false) : new RiscvHartFactory()::create);
    }

    /** A machine whose hart comes from the public factory with the given acceleration (default tuning). */
    public TestMachine(RiscvConfig config, Acceleration acceleration) { this(config, acceleration, new RiscvHartFactory()::create); }

    /** Makes the hart of a test machine. */
    public interface HartMaker {
        Hart make(HartEnvironment env, RiscvConfig config);
    }

    public TestMachine(RiscvConfig config, Acceleration acceleration, HartMaker maker) {
        ram = Arena.ofAuto().allocate(RAM_SIZE, 4096);
        MemoryRegion root = MemoryRegion.container("system", 1L << 56);
        root.addSubregion(RAM_BASE, MemoryRegion.ram("ram", ram));
        root.addSubregion(0x1000_0000L, MemoryRegion.mmio("uart", 0x100, new MmioHandler() {
            @Override public long read(long off, int size) { return off == 5 ? 0x60 : 0; }
            @Override public void write(long off, int size, long value) { if (off == 0) uart.write((int) value); }
        }));
        root.addSubregion(0x10_0000L, MemoryRegion.mmio("test", 0x1000, new MmioHandler() {
            @Override public long read(long off, int size) { return 0; }
            @Override public void write(long off, int size, long value) {
                if (off == 0) { finisher = (int) value; hart().requestExit(); }
            }
        }));
        root.addSubregion(0x200_0000L, MemoryRegion.mmio("clint", 0x10000, new MmioHandler() {
            @Override public long read(long off, int size) {
                if (off == 0) return msip ? 1 : 0;
                if (off >= 0x4000 && off < 0x4008) return (mtimecmp >>> (8 * (off - 0x4000))) & mask(size);
                if (off >= 0xbff8) return (env.mtime() >>> (8 * (off - 0xbff8))) & mask(size);
                return 0;
            }
            @Override public void write(long off, int size, long value) {
                if (off == 0) { msip = (value & 1) != 0; hart().interruptPin(InterruptPin.MSIP).setLevel(msip); }
                else if (off >= 0x4000 && off < 0x4008) {
                    int sh = (int) (8 * (off - 0x4000));
                    long m = mask(size) << sh;
                    mtimecmp = (mtimecmp & ~m) | ((value << sh) & m);
                    updateMtip();
                }
            }
        }));
        bus = new AddressSpace("memory", root);
        env = new HartEnvironment(bus, clock, 10_000_000L, acceleration);
        mtimer = clock.newTimer(this::updateMtip);
        hart = maker.make(env, config);
    }

    private boolean msip;

    private static long mask(int size) { return size == 8 ? -1L : (1L << (8 * size)) - 1; }

    private Hart hart() { return hart; }

    private void updateMtip() {
        boolean due = Long.compareUnsigned(env.mtime(), mtimecmp) >= 0;
        hart.interruptPin(InterruptPin.MTIP).setLevel(due);
        if (!due && mtimecmp >= 0) mtimer.armAt(env.nanosAtTicks(mtimecmp)); else mtimer.cancel();
    }

    /** Loads an ELF32 or ELF64 file into memory and points the hart at its entry. */
    public void loadElf(Path elf) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(elf)).order(ByteOrder.LITTLE_ENDIAN);
        boolean is64 = b.get(4) == 2;
        long entry = is64 ? b.getLong(0x18) : b.getInt(0x18) & 0xffffffffL;
        long phoff = is64 ? b.getLong(0x20) : b.getInt(0x1c) & 0xffffffffL;
        int phentsize = b.getShort(is64 ? 0x36 : 0x2a) & 0xffff, phnum = b.getShort(is64 ? 0x38 : 0x2c) & 0xffff;
        for (int i = 0; i < phnum; i++) {
            int ph = (int) (phoff + (long) i * phentsize);
            if (b.getInt(ph) != 1) continue;
            long off = is64 ? b.getLong(ph + 8) : b.getInt(ph + 4) & 0xffffffffL;
            long paddr = is64 ? b.getLong(ph + 0x18) : b.getInt(ph + 0xc) & 0xffffffffL;
            long filesz = is64 ? b.getLong(ph + 0x20) : b.getInt(ph + 0x10) & 0xffffffffL;
            byte[] data = new byte[(int) filesz];
            b.get((int) off, data);
            bus.writeBytes(paddr, data, 0, data.length);
        }
        hart.debug().setPc(entry);
    }

    /** Writes raw words at a physical address. */
    public void poke32(long addr, int... words) {
        for (int i = 0; i < words.length; i++) bus.write(addr + 4L * i, 4, words[i] & 0xffffffffL);
    }

    public record Result(String output, Integer finisher, long instructions, boolean finished) {
        public boolean passed() { return finisher != null && finisher == 0x5555; }
    }

    /** Runs until the finisher is written, the hart deadlocks in WFI, or maxInstructions pass. */
    public Result run(long maxInstructions) {
        long start = hart.instructionsRetired();
        long executedBudget = 0;
        while (finisher == null && executedBudget < maxInstructions) {
            long before = hart.instructionsRetired();
            StopReason r = hart.run(20_000);
            long ran = Math.max(1, hart.instructionsRetired() - before);
            executedBudget += ran;
            clock.advanceTo(clock.nanos() + ran * NS_PER_INSN);
            if (r == StopReason.WAITING_FOR_INTERRUPT && finisher == null) {
                long d = clock.nextDeadline();
                if (d < 0) break; // nothing will ever wake it
                clock.advanceTo(d);
            }
        }
        return new Result(uart.toString(), finisher, hart.instructionsRetired() - start, finisher != null);
    }

    public String output() { return uart.toString(); }

    /** Fails unless at least {@code share} of the instructions run so far ran in translated code. */
    public void assertMostlyTranslated(double share) {
        var s = hart.translationStatistics();
        if (s == null) throw new AssertionError("the hart has no translator");
        double translated = (double) s.translatedInstructions() / Math.max(1, s.translatedInstructions() + s.interpretedInstructions());
        System.out.printf("translated %.1f%% of %d instructions in %d regions (%d bytes of bytecode)%n", 100 * translated,
                s.translatedInstructions() + s.interpretedInstructions(), s.translations(), s.codeBytes());
        if (translated < share) throw new AssertionError("only " + (int) (100 * translated) + "% of the instructions ran translated: " + s);
    }
}
