package com.example.edu;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.device.support.MmioDevice;
import org.orrery.device.support.RegisterBank;
import org.orrery.machine.clock.VirtualClock;
import org.orrery.machine.device.DeviceTreeContext;
import org.orrery.machine.fdt.FdtNode;
import org.orrery.machine.irq.IrqLine;
import org.orrery.machine.memory.MemoryRegion;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QomException;

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
    static final long REGION_SIZE = 0x1000;
    static final long ID = 0x45440100L;
    static final long MAX_BUFFER = 1L << 20;

    static final int STATUS_FACT_BUSY = 1, STATUS_DMA_BUSY = 2;
    static final int IRQ_FACT_DONE = 1, IRQ_DMA_DONE = 2, IRQ_DMA_ERROR = 4, IRQ_SOFTWARE = 1 << 31;
    static final int DMA_START = 1, DMA_TO_RAM = 2;
    static final int DMA_OK = 0, DMA_BUSY = 1, DMA_OUT_OF_BUFFER = 2, DMA_BUS_ERROR = 3;

    static final Property<Long> BUFFER_SIZE = Property.of("buffer-size", PropertyTypes.SIZE).defaultValue(4096L)
            .description("bytes in the device's DMA buffer (1 to 1 MiB)");

    private byte[] buffer;
    private IrqLine irq = IrqLine.UNCONNECTED;
    private VirtualClock.Timer factTimer, dmaTimer;

    private long liveness, factArg, factResult, irqStatus, irqEnable;
    private long dmaSrc, dmaDst, dmaCount, dmaCmd, dmaResult;
    private boolean factBusy;

    // what edu-query-stats reports: kept across system_reset, since they count host-side work
    private long factorials, dmaTransfers, dmaBytes, dmaErrors;

    @Override protected void onRealize() {
        long size = get(BUFFER_SIZE);
        if (size < 1 || size > MAX_BUFFER)
            throw new QomException("edu-mmio: buffer-size must be between 1 and " + MAX_BUFFER + " bytes, not " + size);
        buffer = new byte[(int) size];
        if (isSet(IRQ)) irq = platformIrq((int) (long) get(IRQ));
        RegisterBank regs = new RegisterBank(TYPE, log())
            .reg(0x00, 4, "id").constant(ID)
            .reg(0x04, 4, "liveness").read(() -> ~liveness & 0xffffffffL).write(v -> liveness = v).peek(() -> liveness)
            .reg(0x08, 4, "fact").read(() -> factArg).write(this::startFactorial)
            .reg(0x0c, 4, "status").read(this::status)
            .reg(0x10, 8, "fact-result").read(() -> factResult)
            .reg(0x20, 4, "irq-status").read(() -> irqStatus)
            .reg(0x24, 4, "irq-raise").write(v -> raise(v))
            .reg(0x28, 4, "irq-ack").write(v -> { irqStatus &= ~v; updateIrq(); })
            .reg(0x2c, 4, "irq-enable").read(() -> irqEnable).write(v -> { irqEnable = v; updateIrq(); })
            .reg(0x40, 8, "dma-src").read(() -> dmaSrc).write(v -> dmaSrc = v)
            .reg(0x48, 8, "dma-dst").read(() -> dmaDst).write(v -> dmaDst = v)
            .reg(0x50, 4, "dma-count").read(() -> dmaCount).write(v -> dmaCount = v)
            .reg(0x54, 4, "dma-cmd").read(() -> dmaCmd).write(this::dmaCommand)
            .reg(0x58, 4, "dma-result").read(() -> dmaResult)
            .reg(0x5c, 4, "buffer-size").constant(size)
            .done();
        mapMmio(base(), MemoryRegion.mmio(TYPE + "@" + Long.toHexString(base()), REGION_SIZE, regs));
        factTimer = machine().clock().newTimer(this::factorialDone);
        dmaTimer = machine().clock().newTimer(this::dmaDone);
    }

    @Override protected void onUnrealize() {
        // nothing of this bundle may stay reachable from the machine once the device is gone
        if (factTimer != null) factTimer.cancel();
        if (dmaTimer != null) dmaTimer.cancel();
        factTimer = dmaTimer = null;
        irq.lower();
        irq = IrqLine.UNCONNECTED;
        super.onUnrealize();
    }

    @Override public void reset() {
        if (factTimer != null) factTimer.cancel();
        if (dmaTimer != null) dmaTimer.cancel();
        liveness = factArg = factResult = irqStatus = irqEnable = 0;
        dmaSrc = dmaDst = dmaCount = dmaCmd = dmaResult = 0;
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
        factTimer.armAt(machine().clock().nanos() + (steps + 1) * 1_000);
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
            dmaResult = DMA_BUSY;
            log().guestError("dma-busy", "DMA_CMD START written while a transfer runs; ignored");
            return;
        }
        boolean toRam = (value & DMA_TO_RAM) != 0;
        long offset = toRam ? dmaSrc : dmaDst;
        if (Long.compareUnsigned(dmaCount, buffer.length) > 0 || Long.compareUnsigned(offset, buffer.length - dmaCount) > 0) {
            log().guestError("dma-bounds", String.format("DMA of %d bytes at buffer offset 0x%x does not fit the %d-byte buffer",
                    dmaCount, offset, buffer.length));
            failDma(DMA_OUT_OF_BUFFER);
            return;
        }
        dmaCmd = value;
        dmaTimer.armAt(machine().clock().nanos() + 2_000 + dmaCount);
    }

    private void dmaDone() {
        boolean toRam = (dmaCmd & DMA_TO_RAM) != 0;
        int count = (int) dmaCount;
        try {
            var memory = machine().systemMemory();
            if (toRam) memory.writeBytes(dmaDst, buffer, (int) dmaSrc, count);
            else memory.readBytes(dmaSrc, buffer, (int) dmaDst, count);
        } catch (RuntimeException busError) {
            log().guestError("dma-bus", String.format("DMA of %d bytes %s guest address 0x%x failed: %s", count,
                    toRam ? "to" : "from", toRam ? dmaDst : dmaSrc, busError.getMessage()));
            dmaCmd &= ~DMA_START;
            failDma(DMA_BUS_ERROR);
            return;
        }
        dmaCmd &= ~DMA_START;
        dmaResult = DMA_OK;
        dmaTransfers++;
        dmaBytes += count;
        raise(IRQ_DMA_DONE);
    }

    private void failDma(int result) {
        dmaResult = result;
        dmaErrors++;
        raise(IRQ_DMA_ERROR);
    }

    // ---- interrupt ----

    private void raise(long bits) {
        irqStatus |= bits & 0xffffffffL;
        updateIrq();
    }

    private void updateIrq() { irq.setLevel((irqStatus & irqEnable) != 0); }

    // ---- device tree and statistics ----

    @Override public void contributeDeviceTree(DeviceTreeContext context) {
        FdtNode node = FdtNode.at("edu", base());
        node.string("compatible", "orrery,edu-mmio");
        node.reg(base(), REGION_SIZE);
        if (isSet(IRQ)) {
            node.u32("interrupts", get(IRQ));
            node.u32("interrupt-parent", context.interruptParent());
        }
        node.u32("orrery,buffer-size", get(BUFFER_SIZE));
        context.soc().add(node);
    }

    /** One entry of edu-query-stats. */
    ObjectNode stats() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("id", name()).put("path", path());
        o.put("factorials", factorials).put("dma-transfers", dmaTransfers).put("dma-bytes", dmaBytes).put("dma-errors", dmaErrors);
        return o;
    }
}
