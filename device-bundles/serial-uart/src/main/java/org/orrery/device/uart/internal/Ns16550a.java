package org.orrery.device.uart.internal;

import org.orrery.device.support.DeviceType;
import org.orrery.device.support.MmioDevice;
import org.orrery.device.support.RegisterBank;
import org.orrery.device.support.StateFields;
import org.orrery.machine.backend.CharBackend;
import org.orrery.machine.backend.CharFrontEnd;
import org.orrery.machine.clock.VirtualClock;
import org.orrery.machine.device.DeviceTreeContext;
import org.orrery.machine.fdt.FdtNode;
import org.orrery.machine.state.StateDescription;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;
import org.orrery.qom.TypeProvider;
import org.osgi.service.component.annotations.Component;

import static org.orrery.device.support.DeviceProperties.uint32;

/**
 * The NS16550A UART, from its datasheet: eight byte-wide registers (spaced 1 &lt;&lt; reg-shift apart),
 * the divisor latch behind LCR.DLAB, 16-byte receive and transmit FIFOs, and the interrupt identification
 * priorities line status &gt; received data (or character timeout) &gt; transmitter empty &gt; modem status.
 *
 * <p>Output goes to the linked chardev without ever blocking: bytes the backend does not take stay in the
 * transmit FIFO (THRE stays clear, so the guest waits as it would for a slow line) and are retried when
 * the backend reports room, or on a timer. Input is taken while the receive FIFO has room.
 */
final class Ns16550a extends MmioDevice implements CharFrontEnd {
    static final String TYPE = "ns16550a";
    static final String DESCRIPTION = "NS16550A UART with 16-byte FIFOs";

    static final Property<QObject> CHARDEV = Property.of("chardev", PropertyTypes.link("chardev", QObject.class, "/chardevs"))
            .description("the character device behind the UART (an id under /chardevs)");
    static final Property<Long> REG_SHIFT = Property.of("reg-shift", PropertyTypes.UINT8).defaultValue(0L)
            .description("registers are 1 << reg-shift bytes apart");
    static final Property<Long> CLOCK_FREQUENCY = uint32("clock-frequency", 0x384000L, "input clock in Hz, shown in the device tree");

    static final int FIFO_SIZE = 16;
    static final long REGION_SIZE = 0x100;
    /** Retry interval for output the backend refused (virtual time). */
    static final long RETRY_NANOS = 1_000_000;

    // IER bits
    static final int IER_RDI = 1, IER_THRI = 2, IER_RLSI = 4, IER_MSI = 8;
    // IIR values
    static final int IIR_NO_INT = 0x01, IIR_MSI = 0x00, IIR_THRI = 0x02, IIR_RDI = 0x04, IIR_RLSI = 0x06, IIR_CTI = 0x0c, IIR_FIFO = 0xc0;
    // FCR bits
    static final int FCR_ENABLE = 1, FCR_CLEAR_RX = 2, FCR_CLEAR_TX = 4;
    // LCR, MCR bits
    static final int LCR_DLAB = 0x80, MCR_LOOP = 0x10;
    // LSR bits
    static final int LSR_DR = 1, LSR_OE = 2, LSR_PE = 4, LSR_FE = 8, LSR_BI = 0x10, LSR_THRE = 0x20, LSR_TEMT = 0x40, LSR_ERR = 0x80;
    static final int LSR_INT_ANY = LSR_OE | LSR_PE | LSR_FE | LSR_BI;
    // MSR bits
    static final int MSR_DCTS = 1, MSR_DDSR = 2, MSR_TERI = 4, MSR_DDCD = 8, MSR_CTS = 0x10, MSR_DSR = 0x20, MSR_RI = 0x40, MSR_DCD = 0x80;
    static final int MSR_ANY_DELTA = 0x0f;

    private final Fifo rx = new Fifo();
    private final Fifo tx = new Fifo();
    private int ier, mcr, lsr, msr, fcr, divisor;
    private RegisterBank.Reg lcr;
    private boolean thrInterruptPending;
    private boolean timeoutPending;

    private CharBackend backend;
    private VirtualClock.Timer retry;

    /** The ns16550a UART type. */
    @Component(service = TypeProvider.class)
    public static final class Type extends DeviceType {
        public Type() { super(() -> typeWithIrq(TYPE, Ns16550a.class, Ns16550a::new).description(DESCRIPTION)); }
    }

    /** A byte ring of {@link #FIFO_SIZE}. */
    static final class Fifo {
        private final byte[] data = new byte[FIFO_SIZE];
        private int head, count;

        boolean isEmpty() { return count == 0; }
        boolean isFull() { return count == FIFO_SIZE; }
        int count() { return count; }
        void clear() { head = count = 0; }
        void push(int b) { data[(head + count++) % FIFO_SIZE] = (byte) b; }
        int pop() { int b = data[head] & 0xff; head = (head + 1) % FIFO_SIZE; count--; return b; }
        int peek(int i) { return data[(head + i) % FIFO_SIZE] & 0xff; }
        void drop(int n) { head = (head + n) % FIFO_SIZE; count -= n; }

        /** The bytes waiting, oldest first (a saved state keeps them without the ring's position). */
        byte[] contents() {
            byte[] out = new byte[count];
            for (int i = 0; i < count; i++) out[i] = (byte) peek(i);
            return out;
        }

        void setContents(byte[] bytes) {
            clear();
            for (byte b : bytes) push(b);
        }
    }

    /**
     * Everything a guest can observe: the stored LCR and scratch registers, the other registers, both FIFOs,
     * the interrupt conditions that are not derived from them, and the retry timer of output the backend refused.
     */
    static final StateDescription<Ns16550a> STATE = state(TYPE, Ns16550a.class, 1)
            .u8("ier", u -> u.ier, (u, v) -> u.ier = (int) v)
            .u8("mcr", u -> u.mcr, (u, v) -> u.mcr = (int) v)
            .u8("lsr", u -> u.lsr, (u, v) -> u.lsr = (int) v)
            .u8("msr", u -> u.msr, (u, v) -> u.msr = (int) v)
            .u8("fcr", u -> u.fcr, (u, v) -> u.fcr = (int) v)
            .u16("divisor", u -> u.divisor, (u, v) -> u.divisor = (int) v)
            .bool("thr-interrupt-pending", u -> u.thrInterruptPending, (u, v) -> u.thrInterruptPending = v)
            .bool("timeout-pending", u -> u.timeoutPending, (u, v) -> u.timeoutPending = v)
            .field(StateFields.boundedBytes("rx-fifo", FIFO_SIZE, 1, u -> u.rx.contents(), (u, v) -> u.rx.setContents(v)))
            .field(StateFields.boundedBytes("tx-fifo", FIFO_SIZE, 1, u -> u.tx.contents(), (u, v) -> u.tx.setContents(v)))
            .timer("tx-retry", u -> u.retry)
            .afterLoad(Ns16550a::afterLoad)
            .build();

    @Override public StateDescription<?> stateDescription() { return STATE; }

    /** The interrupt line as the restored registers say; the backend may send again while there is room. */
    private void afterLoad() {
        irq().setLevel(interruptId() != IIR_NO_INT);
        if (backend != null) backend.frontEndReady();
    }

    // ---- lifecycle ----

    @Override protected RegisterBank realizeRegisters() {
        int shift = (int) (long) get(REG_SHIFT);
        if (shift > 3) throw new QomException(describe() + ": reg-shift must be 0..3, got " + shift);
        QObject link = get(CHARDEV);
        if (link != null && !(link instanceof CharBackend)) throw new QomException("'" + link.path() + "' is not a character device");
        resetRegisters();
        return buildRegisters(shift);
    }

    @Override protected void connect() {
        retry = machine().clock().newTimer(this::flushTx);
        backend = (CharBackend) get(CHARDEV);
        if (backend != null) backend.attach(this);
    }

    @Override protected void disconnect() {
        if (backend != null) backend.detach(this);
        backend = null;
        if (retry != null) retry.cancel();
    }

    @Override protected void onLinkCleared(String property) {
        if (property.equals(CHARDEV.name())) backend = null;
    }

    /** The chardev's bundle was updated: its successor at the same path carries the console on. */
    @Override protected void onLinkRestored(String property) {
        if (!property.equals(CHARDEV.name()) || !isRealized() || !(get(CHARDEV) instanceof CharBackend b)) return;
        backend = b;
        b.attach(this);
    }

    @Override public void reset() {
        super.reset();
        resetRegisters();
        if (retry != null) retry.cancel();
        updateIrq();
        if (backend != null) backend.frontEndReady();
    }

    private void resetRegisters() {
        rx.clear();
        tx.clear();
        ier = mcr = fcr = 0;
        divisor = 0x0c; // 9600 baud at 1.8432 MHz, a common power-on choice
        lsr = LSR_THRE | LSR_TEMT;
        msr = MSR_DCD | MSR_DSR | MSR_CTS;
        thrInterruptPending = false;
        timeoutPending = false;
    }

    // ---- the register table ----

    private RegisterBank buildRegisters(int shift) {
        int w = 1 << shift;
        RegisterBank regs = registers(REGION_SIZE)
                .reg(0L << shift, w, "rbr-thr-dll").read(this::readRbr).write(this::writeThr).peek(() -> 0)
                .reg(1L << shift, w, "ier-dlm").read(this::readIer).write(this::writeIer)
                .reg(2L << shift, w, "iir-fcr").read(this::readIir).write(this::writeFcr).peek(() -> 0)
                .reg(4L << shift, w, "mcr").read(() -> mcr).write(this::writeMcr)
                .reg(5L << shift, w, "lsr").read(this::readLsr).ignoreWrites().peek(() -> lsr)
                .reg(6L << shift, w, "msr").read(this::readMsr).ignoreWrites().peek(() -> msr)
                .reg(7L << shift, w, "scr").field("scratch", 0, 8, RegisterBank.Access.RW)
                .done();
        lcr = regs.reg(3L << shift, w, "lcr").field("lcr", 0, 8, RegisterBank.Access.RW);
        return regs;
    }

    private boolean dlab() { return (lcr.value() & LCR_DLAB) != 0; }
    private boolean fifoEnabled() { return (fcr & FCR_ENABLE) != 0; }
    private int fifoCapacity() { return fifoEnabled() ? FIFO_SIZE : 1; }

    private long readRbr() {
        if (dlab()) return divisor & 0xff;
        int b = 0;
        if (!rx.isEmpty()) b = rx.pop();
        timeoutPending = false;
        if (rx.isEmpty()) lsr &= ~(LSR_DR | LSR_ERR);
        updateIrq();
        if (backend != null && (mcr & MCR_LOOP) == 0) backend.frontEndReady();
        return b;
    }

    private void writeThr(long value) {
        if (dlab()) { divisor = (divisor & 0xff00) | (int) (value & 0xff); return; }
        int b = (int) value & 0xff;
        thrInterruptPending = false;
        if ((mcr & MCR_LOOP) != 0) {
            receiveByte(b);
            lsr |= LSR_THRE | LSR_TEMT;
            thrInterruptPending = true;
            updateIrq();
            return;
        }
        if (tx.count() >= fifoCapacity()) {
            log().guestError("tx-overrun", "write to THR while the transmit FIFO is full; byte dropped");
        } else {
            tx.push(b);
        }
        lsr &= ~(LSR_THRE | LSR_TEMT);
        flushTx();
    }

    /** Hands the transmit FIFO to the backend; what it refuses stays for a retry. */
    private void flushTx() {
        if (!tx.isEmpty()) {
            if (backend == null) {
                tx.clear(); // no chardev: the bytes go nowhere, instantly, as on an unconnected line
            } else {
                byte[] out = new byte[tx.count()];
                for (int i = 0; i < out.length; i++) out[i] = (byte) tx.peek(i);
                int n = Math.max(0, Math.min(out.length, backend.write(out, 0, out.length)));
                tx.drop(n);
            }
        }
        if (tx.isEmpty()) {
            if ((lsr & LSR_THRE) == 0) {
                lsr |= LSR_THRE | LSR_TEMT;
                thrInterruptPending = true;
            }
            if (retry != null) retry.cancel();
        } else if (retry != null && !retry.armed()) {
            retry.armAt(machine().clock().nanos() + RETRY_NANOS);
        }
        updateIrq();
    }

    @Override public void outputReady() { if (!tx.isEmpty()) flushTx(); }

    private long readIer() { return dlab() ? (divisor >> 8) & 0xff : ier; }

    private void writeIer(long value) {
        if (dlab()) { divisor = (divisor & 0xff) | (int) ((value & 0xff) << 8); return; }
        int old = ier;
        ier = (int) value & 0x0f;
        // Enabling the transmitter interrupt while THR is empty raises it at once (datasheet behaviour).
        if ((ier & IER_THRI) != 0 && (old & IER_THRI) == 0 && (lsr & LSR_THRE) != 0) thrInterruptPending = true;
        updateIrq();
    }

    private int interruptId() {
        if ((ier & IER_RLSI) != 0 && (lsr & LSR_INT_ANY) != 0) return IIR_RLSI;
        if ((ier & IER_RDI) != 0 && !rx.isEmpty()) {
            if (!fifoEnabled() || rx.count() >= triggerLevel()) return IIR_RDI;
            return IIR_CTI; // data below the trigger level: the character timeout, reported at once
        }
        if ((ier & IER_THRI) != 0 && thrInterruptPending) return IIR_THRI;
        if ((ier & IER_MSI) != 0 && (msr & MSR_ANY_DELTA) != 0) return IIR_MSI;
        return IIR_NO_INT;
    }

    private int triggerLevel() {
        return switch ((fcr >> 6) & 3) {
            case 0 -> 1;
            case 1 -> 4;
            case 2 -> 8;
            default -> 14;
        };
    }

    private long readIir() {
        int id = interruptId();
        // Reading IIR while it reports THRE clears that interrupt.
        if (id == IIR_THRI) { thrInterruptPending = false; updateIrq(); }
        return id | (fifoEnabled() ? IIR_FIFO : 0);
    }

    private void writeFcr(long value) {
        int v = (int) value & 0xff;
        boolean wasEnabled = fifoEnabled();
        if (((v & FCR_ENABLE) != 0) != wasEnabled) { rx.clear(); tx.clear(); }
        if ((v & FCR_CLEAR_RX) != 0) { rx.clear(); lsr &= ~(LSR_DR | LSR_ERR); timeoutPending = false; }
        if ((v & FCR_CLEAR_TX) != 0) {
            tx.clear();
            lsr |= LSR_THRE | LSR_TEMT;
            thrInterruptPending = true;
        }
        fcr = v & 0xc9;
        if (rx.isEmpty()) lsr &= ~LSR_DR;
        updateIrq();
        if (backend != null) backend.frontEndReady();
    }

    private void writeMcr(long value) {
        int old = mcr;
        mcr = (int) value & 0x1f;
        if ((mcr & MCR_LOOP) != 0) {
            int lines = loopbackLines();
            int deltas = ((lines ^ msr) & (MSR_CTS | MSR_DSR | MSR_DCD)) >> 4;
            if ((msr & MSR_RI) != 0 && (lines & MSR_RI) == 0) deltas |= MSR_TERI;
            msr = lines | (msr & MSR_ANY_DELTA) | deltas;
        } else if ((old & MCR_LOOP) != 0) {
            msr = MSR_DCD | MSR_DSR | MSR_CTS | (msr & MSR_ANY_DELTA);
            if (backend != null) backend.frontEndReady();
        }
        updateIrq();
    }

    /** In loopback, the modem inputs follow the modem outputs: CTS=RTS, DSR=DTR, RI=OUT1, DCD=OUT2. */
    private int loopbackLines() {
        int lines = 0;
        if ((mcr & 0x02) != 0) lines |= MSR_CTS;
        if ((mcr & 0x01) != 0) lines |= MSR_DSR;
        if ((mcr & 0x04) != 0) lines |= MSR_RI;
        if ((mcr & 0x08) != 0) lines |= MSR_DCD;
        return lines;
    }

    private long readLsr() {
        int v = lsr;
        lsr &= ~(LSR_INT_ANY | LSR_ERR); // errors and break clear on read
        if ((v & LSR_INT_ANY) != 0) updateIrq();
        return v;
    }

    private long readMsr() {
        int v = msr;
        msr &= ~MSR_ANY_DELTA;
        if ((v & MSR_ANY_DELTA) != 0) updateIrq();
        return v;
    }

    private void updateIrq() { irq().setLevel(interruptId() != IIR_NO_INT); }

    // ---- input from the chardev ----

    private void receiveByte(int b) {
        if (rx.count() >= fifoCapacity()) {
            lsr |= LSR_OE; // overrun: the byte is lost
        } else {
            rx.push(b);
            lsr |= LSR_DR;
        }
    }

    @Override public int canReceive() {
        if ((mcr & MCR_LOOP) != 0) return 0;
        return fifoCapacity() - rx.count();
    }

    @Override public void receive(byte[] data, int offset, int length) {
        if ((mcr & MCR_LOOP) != 0) return;
        for (int i = 0; i < length; i++) receiveByte(data[offset + i] & 0xff);
        updateIrq();
    }

    @Override public void event(CharEvent event) {
        if (event == CharEvent.BREAK) {
            lsr |= LSR_BI | LSR_DR | LSR_ERR;
            if (rx.count() < fifoCapacity()) rx.push(0);
            updateIrq();
        }
    }

    // ---- device tree ----

    @Override protected FdtNode deviceTreeNode(DeviceTreeContext context) {
        FdtNode n = socNode("serial", context).u32("clock-frequency", get(CLOCK_FREQUENCY));
        if (get(REG_SHIFT) != 0) n.u32("reg-shift", get(REG_SHIFT));
        return n.string("compatible", TYPE);
    }

    /** The node path the board's /chosen stdout-path names. */
    String deviceTreePath() { return "/soc/serial@" + Long.toHexString(base()); }
}
