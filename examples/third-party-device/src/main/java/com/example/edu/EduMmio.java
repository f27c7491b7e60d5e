package com.example.edu;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.device.support.DeviceType;
import org.orrery.device.support.MmioDevice;
import org.orrery.device.support.RegisterBank;
import org.orrery.device.support.RegisterBank.Access;
import org.orrery.machine.clock.VirtualClock;
import org.orrery.machine.device.DeviceTreeContext;
import org.orrery.machine.fdt.FdtNode;
import org.orrery.machine.state.StateDescription;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QomException;
import org.orrery.qom.TypeProvider;
import org.osgi.service.component.annotations.Component;

/**
 * edu-mmio: a teaching device in the spirit of QEMU's {@code edu}, with a register map of its own.
 * All registers are 32 bits wide unless marked 64.
 *
 * <pre>
 * 0x00 ID           R    0x45440100 ("ED", version 1.0)
 * 0x04 LIVENESS     RW   reads the bitwise inverse of the last value written
 * 0x08 FACT         RW   writing n starts computing n! (takes n+1 µs of virtual time); reads n
 * 0x0c STATUS       R    bit 0 FACT_BUSY, bit 1 DMA_BUSY
 * 0x10 FACT_RESULT  R 64 n! modulo 2^64, valid once FACT_BUSY is clear
 * 0x20 IRQ_STATUS   R    bit 0 FACT_DONE, bit 1 DMA_DONE, bit 2 DMA_ERROR, bit 31 SOFTWARE
 * 0x24 IRQ_RAISE    W    sets the written bits in IRQ_STATUS
 * 0x28 IRQ_ACK      W    clears the written bits in IRQ_STATUS
 * 0x2c IRQ_ENABLE   RW   the interrupt line is high while IRQ_STATUS &amp; IRQ_ENABLE is not zero
 * 0x40 DMA_SRC      RW 64 source: a guest physical address, or a buffer offset when TO_RAM
 * 0x48 DMA_DST      RW 64 destination: a buffer offset, or a guest physical address when TO_RAM
 * 0x50 DMA_COUNT    RW   bytes to move
 * 0x54 DMA_CMD      RW   bit 0 START (reads 1 while the transfer runs), bit 1 TO_RAM (buffer to RAM)
 * 0x58 DMA_RESULT   R    0 OK, 1 BUSY, 2 OUT_OF_BUFFER, 3 BUS_ERROR
 * 0x5c BUFFER_SIZE  R    the buffer-size property
 * </pre>
 *
 * A transfer is checked against the buffer when it starts and moves its bytes through the machine's
 * system address space when it completes (2 µs plus 1 ns per byte later). Nothing a guest writes throws:
 * mistakes are logged as guest errors (-d guest_errors) and reported in DMA_RESULT and IRQ_STATUS.
 */
final class EduMmio extends MmioDevice {
    static final String TYPE = "edu-mmio";
    static final String DESCRIPTION = "MMIO teaching device: identification, liveness, factorial with an interrupt, DMA";
    static final long REGION_SIZE = 0x1000;
    static final long ID = 0x45440100L;
    static final long MAX_BUFFER = 1L << 20;

    static final int STATUS_FACT_BUSY = 1, STATUS_DMA_BUSY = 2;
    /**
     * Virtual time a factorial step and a DMA take. Long enough that the guest's next access sees the device
     * busy, as guests of QEMU's edu expect, even when that access is slow: virtual time follows the host's, and
     * a device's first accesses (its classes loading, its code not yet compiled) take up to milliseconds.
     */
    static final long STEP_NANOS = 1_000_000, DMA_SETUP_NANOS = 5_000_000, DMA_BYTE_NANOS = 10;
    static final int IRQ_FACT_DONE = 1, IRQ_DMA_DONE = 2, IRQ_DMA_ERROR = 4, IRQ_SOFTWARE = 1 << 31;
    static final int DMA_START = 1, DMA_TO_RAM = 2;
    static final int DMA_OK = 0, DMA_BUSY = 1, DMA_OUT_OF_BUFFER = 2, DMA_BUS_ERROR = 3;

    static final Property<Long> BUFFER_SIZE = Property.of("buffer-size", PropertyTypes.SIZE).defaultValue(4096L)
            .description("bytes in the device's DMA buffer (1 to 1 MiB)");

    /** The whole wiring of the type: a DS component the type registry picks up while this bundle is active. */
    @Component(service = TypeProvider.class)
    public static final class Type extends DeviceType {
        public Type() { super(() -> typeWithIrq(TYPE, EduMmio.class, EduMmio::new).description(DESCRIPTION)); }
    }

    /**
     * What a snapshot, a migration or an update of this bundle carries over: the stored registers (LIVENESS,
     * IRQ_STATUS, IRQ_ENABLE, the DMA addresses, count and result) come with {@link MmioDevice#state}; the rest
     * is declared here. A later version that adds a field raises the version and says how to fill it in from
     * this one with {@code migrate(1, old -> old.put("new-field", 0L))}.
     */
    static final StateDescription<EduMmio> STATE = MmioDevice.state(TYPE, EduMmio.class, 1)
            .u64("fact-arg", d -> d.factArg, (d, v) -> d.factArg = v)
            .u64("fact-result", d -> d.factResult, (d, v) -> d.factResult = v)
            .bool("fact-busy", d -> d.factBusy, (d, v) -> d.factBusy = v)
            .timer("fact-timer", d -> d.factTimer)
            .u32("dma-cmd", d -> d.dmaCmd, (d, v) -> d.dmaCmd = v)
            .timer("dma-timer", d -> d.dmaTimer)
            .buffer("buffer", d -> d.buffer)
            .afterLoad(EduMmio::updateIrq)
            .build();

    @Override public StateDescription<?> stateDescription() { return STATE; }

    private byte[] buffer;
    private VirtualClock.Timer factTimer, dmaTimer;
    private RegisterBank.Reg liveness, irqStatus, irqEnable, dmaSrc, dmaDst, dmaCount, dmaResult;
    private long factArg, factResult, dmaCmd;
    private boolean factBusy;

    // what edu-query-stats reports: kept across system_reset, since they count host-side work
    private long factorials, dmaTransfers, dmaBytes, dmaErrors;

    @Override protected RegisterBank realizeRegisters() {
        long size = get(BUFFER_SIZE);
        if (size < 1 || size > MAX_BUFFER)
            throw new QomException("edu-mmio: buffer-size must be between 1 and " + MAX_BUFFER + " bytes, not " + size);
        buffer = new byte[(int) size];
        RegisterBank regs = registers(REGION_SIZE);
        regs.reg(0x00, 4, "id").constant(ID);
        liveness = regs.reg(0x04, 4, "liveness").rw().read(() -> ~liveness.value() & 0xffffffffL);
        regs.reg(0x08, 4, "fact").read(() -> factArg).write(this::startFactorial);
        regs.reg(0x0c, 4, "status").read(this::status);
        regs.reg(0x10, 8, "fact-result").read(() -> factResult);
        irqStatus = regs.reg(0x20, 4, "irq-status").field("bits", 0, 32, Access.RO);
        regs.reg(0x24, 4, "irq-raise").write(v -> raise(v));
        regs.reg(0x28, 4, "irq-ack").write(v -> { irqStatus.set(irqStatus.value() & ~v); updateIrq(); });
        irqEnable = regs.reg(0x2c, 4, "irq-enable").rw().onWrite(v -> updateIrq());
        dmaSrc = regs.reg(0x40, 8, "dma-src").rw();
        dmaDst = regs.reg(0x48, 8, "dma-dst").rw();
        dmaCount = regs.reg(0x50, 4, "dma-count").rw();
        regs.reg(0x54, 4, "dma-cmd").read(() -> dmaCmd).write(this::dmaCommand);
        dmaResult = regs.reg(0x58, 4, "dma-result").field("result", 0, 2, Access.RO);
        regs.reg(0x5c, 4, "buffer-size").constant(size);
        return regs;
    }

    @Override protected void connect() {
        factTimer = machine().clock().newTimer(this::factorialDone);
        dmaTimer = machine().clock().newTimer(this::dmaDone);
    }

    @Override protected void disconnect() {
        // nothing of this bundle may stay reachable from the machine once the device is gone
        if (factTimer != null) factTimer.cancel();
        if (dmaTimer != null) dmaTimer.cancel();
        factTimer = dmaTimer = null;
    }

    @Override public void reset() {
        super.reset(); // the stored registers take their reset values
        if (factTimer != null) factTimer.cancel();
        if (dmaTimer != null) dmaTimer.cancel();
        factArg = factResult = dmaCmd = 0;
        factBusy = false;
        if (buffer != null) java.util.Arrays.fill(buffer, (byte) 0);
        updateIrq();
    }

    // ---- factorial ----

    private long status() {
        return (factBusy ? STATUS_FACT_BUSY : 0) | ((dmaCmd & DMA_START) != 0 ? STATUS_DMA_BUSY : 0);
    }

    private void startFactorial(long n) {
        if (factBusy) {
            log().guestError("fact-busy", "FACT written while a factorial is being computed; ignored");
            return;
        }
        factArg = n;
        factBusy = true;
        // n! mod 2^64 is 0 from 66 on, so no more than 66 steps are ever worth simulating
        long steps = Math.min(n, 66);
        factTimer.armAt(machine().clock().nanos() + (steps + 1) * STEP_NANOS);
    }

    private void factorialDone() {
        long result = 1;
        for (long i = 2; i <= Math.min(factArg, 66); i++) result *= i;
        factResult = result;
        factBusy = false;
        factorials++;
        raise(IRQ_FACT_DONE);
    }

    // ---- DMA ----

    private void dmaCommand(long value) {
        if ((value & DMA_START) == 0) { dmaCmd = value; return; }
        if ((dmaCmd & DMA_START) != 0) {
            dmaResult.set(DMA_BUSY);
            log().guestError("dma-busy", "DMA_CMD START written while a transfer runs; ignored");
            return;
        }
        boolean toRam = (value & DMA_TO_RAM) != 0;
        long offset = toRam ? dmaSrc.value() : dmaDst.value();
        long count = dmaCount.value();
        if (Long.compareUnsigned(count, buffer.length) > 0 || Long.compareUnsigned(offset, buffer.length - count) > 0) {
            log().guestError("dma-bounds", String.format("DMA of %d bytes at buffer offset 0x%x does not fit the %d-byte buffer",
                    count, offset, buffer.length));
            failDma(DMA_OUT_OF_BUFFER);
            return;
        }
        dmaCmd = value;
        dmaTimer.armAt(machine().clock().nanos() + DMA_SETUP_NANOS + count * DMA_BYTE_NANOS);
    }

    private void dmaDone() {
        boolean toRam = (dmaCmd & DMA_TO_RAM) != 0;
        int count = (int) dmaCount.value();
        long src = dmaSrc.value(), dst = dmaDst.value();
        try {
            var memory = machine().systemMemory();
            if (toRam) memory.writeBytes(dst, buffer, (int) src, count);
            else memory.readBytes(src, buffer, (int) dst, count);
        } catch (RuntimeException busError) {
            log().guestError("dma-bus", String.format("DMA of %d bytes %s guest address 0x%x failed: %s", count,
                    toRam ? "to" : "from", toRam ? dst : src, busError.getMessage()));
            dmaCmd &= ~DMA_START;
            failDma(DMA_BUS_ERROR);
            return;
        }
        dmaCmd &= ~DMA_START;
        dmaResult.set(DMA_OK);
        dmaTransfers++;
        dmaBytes += count;
        raise(IRQ_DMA_DONE);
    }

    private void failDma(int result) {
        dmaResult.set(result);
        dmaErrors++;
        raise(IRQ_DMA_ERROR);
    }

    // ---- interrupt ----

    private void raise(long bits) {
        irqStatus.set(irqStatus.value() | bits);
        updateIrq();
    }

    private void updateIrq() { irq().setLevel(irqStatus != null && (irqStatus.value() & irqEnable.value()) != 0); }

    // ---- device tree and statistics ----

    @Override protected FdtNode deviceTreeNode(DeviceTreeContext context) {
        return socNode("edu", context).string("compatible", "orrery,edu-mmio").u32("orrery,buffer-size", get(BUFFER_SIZE));
    }

    /** One entry of edu-query-stats. */
    ObjectNode stats() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("id", name()).put("path", path());
        o.put("factorials", factorials).put("dma-transfers", dmaTransfers).put("dma-bytes", dmaBytes).put("dma-errors", dmaErrors);
        return o;
    }
}
