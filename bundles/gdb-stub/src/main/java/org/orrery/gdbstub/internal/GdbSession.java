package org.orrery.gdbstub.internal;

import org.orrery.machine.RunState;
import org.orrery.machine.cpu.Hart;
import org.orrery.machine.cpu.HartDebug;
import org.orrery.machine.cpu.StopReason;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.IntPredicate;

/**
 * One gdb client's view of the machine: the protocol's commands and their state (selected threads,
 * inserted breakpoints and watchpoints, whether gdb waits for a stop). Not thread-safe: its connection
 * calls it from one thread; every hart access goes through {@link DebugTarget#call}.
 * Threads are harts, numbered from 1 in hart order, in process 1.
 */
final class GdbSession {
    /** The largest packet gdb may send us (and we it), as announced in qSupported. */
    static final int PACKET_SIZE = 0x4000;
    /** The most memory one m/M/X packet may move: its hex must fit in a packet. */
    static final int MAX_MEMORY = PACKET_SIZE / 2 - 32;
    static final int SIGINT = 2;
    static final int SIGQUIT = 3;
    static final int SIGTRAP = 5;
    static final int SIGABRT = 6;
    static final int SIGUNKNOWN = 0x8f;

    /** Where replies go; the connection frames them and handles acknowledgements. */
    interface Link {
        void send(byte[] payload);

        default void send(String payload) { send(Rsp.latin1(payload)); }

        /** Called just before the reply to QStartNoAckMode: from then on, no acks either way. */
        void stopAcking();
    }

    private record Watch(long address, long length, int kind) {
        boolean covers(long a) { return Long.compareUnsigned(a - address, Math.max(length, 1)) < 0; }
    }

    private final DebugTarget target;
    private final Link link;
    /** Breakpoint address to {software count, hardware count}. */
    private final Map<Long, int[]> breakpoints = new HashMap<>();
    private final List<Watch> watchpoints = new ArrayList<>();
    private boolean multiprocess;
    private boolean swbreak;
    private boolean hwbreak;
    /** Selected threads as 0-based hart indexes; -1 means all (only meaningful for c). */
    private int gHart;
    private int cHart = -1;
    private boolean waiting;
    private int steppingHart = -1;
    private int debugPolls;
    private boolean detached;
    private String targetXml;

    GdbSession(DebugTarget target, Link link) {
        this.target = target;
        this.link = link;
    }

    boolean waitingForStop() { return waiting; }

    boolean detached() { return detached; }

    /** gdb connected: QEMU stops a running guest (state paused); a guest not yet started stays so. */
    void attach() {
        target.call(() -> {
            if (target.runState() == RunState.RUNNING) target.pause(RunState.PAUSED);
            return null;
        });
    }

    /** The client went away or the server closes: nothing of gdb's stays in the harts; the run state stays. */
    void close() {
        waiting = false;
        try {
            removeAll();
        } catch (RuntimeException ignored) {
            // the machine is going away too
        }
    }

    // =====================================================================================
    // Packets
    // =====================================================================================

    void packet(byte[] raw) {
        String p = Rsp.latin1(raw, 0, raw.length);
        try {
            dispatch(p, raw);
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            link.send("E22");
        } catch (RuntimeException e) {
            link.send("E01");
        }
    }

    private void dispatch(String p, byte[] raw) {
        if (p.isEmpty()) { link.send(""); return; }
        switch (p.charAt(0)) {
            case '?' -> haltReason();
            case 'g' -> readRegisters();
            case 'G' -> writeRegisters(p.substring(1));
            case 'p' -> readRegister(p.substring(1));
            case 'P' -> writeRegister(p.substring(1));
            case 'm' -> readMemory(p.substring(1));
            case 'M' -> writeMemoryHex(p.substring(1));
            case 'X' -> writeMemoryBinary(raw);
            case 'c' -> resumeAt(p.substring(1), false);
            case 'C' -> resumeAt(afterSignal(p.substring(1)), false);
            case 's' -> resumeAt(p.substring(1), true);
            case 'S' -> resumeAt(afterSignal(p.substring(1)), true);
            case 'Z' -> breakOrWatch(p.substring(1), true);
            case 'z' -> breakOrWatch(p.substring(1), false);
            case 'H' -> setThread(p.substring(1));
            case 'T' -> link.send(parseThread(p.substring(1)) >= 0 || p.substring(1).equals("-1") ? "OK" : "E22");
            case 'D' -> detach();
            case 'k' -> kill(false);
            case 'q' -> query(p.substring(1));
            case 'Q' -> set(p.substring(1));
            case 'v' -> verbose(p.substring(1));
            default -> link.send("");
        }
    }

    private void haltReason() {
        // as QEMU: '?' starts every connection, so whatever an earlier client left behind goes
        removeAll();
        link.send(stopReply(SIGTRAP, gHart, ""));
    }

    // ---- registers ----

    private void readRegisters() {
        String r = onHart(gHart, d -> {
            int w = d.xlen() / 8;
            StringBuilder sb = new StringBuilder(33 * w * 2);
            for (int i = 0; i < 32; i++) sb.append(Rsp.hexLe(d.gpr(i), w));
            sb.append(Rsp.hexLe(d.pc(), w));
            return sb.toString();
        });
        link.send(r == null ? "E14" : r);
    }

    private void writeRegisters(String hex) {
        Rsp.unhex(hex); // validates the digits before anything changes
        String r = onHart(gHart, d -> {
            int w = d.xlen() / 8;
            for (int i = 0; i <= 32 && (i + 1) * w * 2 <= hex.length(); i++) {
                long v = Rsp.parseLe(hex, i * w * 2, w);
                if (i == 32) d.setPc(v);
                else if (i != 0) d.setGpr(i, v);
            }
            return "OK";
        });
        link.send(r == null ? "E14" : r);
    }

    private void readRegister(String arg) {
        int n = (int) Math.min(Rsp.parseHex(arg), Integer.MAX_VALUE);
        String r = onHart(gHart, d -> {
            int size = TargetXml.registerSize(n, d.xlen() / 8);
            Long v = size == 0 ? null : readRegister(d, n);
            return v == null ? null : Rsp.hexLe(v, size);
        });
        link.send(r == null ? "E14" : r);
    }

    private void writeRegister(String arg) {
        int eq = arg.indexOf('=');
        if (eq < 0) throw new IllegalArgumentException("P without =");
        int n = (int) Math.min(Rsp.parseHex(arg.substring(0, eq)), Integer.MAX_VALUE);
        String hex = arg.substring(eq + 1);
        Rsp.unhex(hex);
        String r = onHart(gHart, d -> {
            int size = TargetXml.registerSize(n, d.xlen() / 8);
            if (size == 0 || hex.length() < size * 2) return null;
            return writeRegister(d, n, Rsp.parseLe(hex, 0, size)) ? "OK" : null;
        });
        link.send(r == null ? "E14" : r);
    }

    private static Long readRegister(HartDebug d, int n) {
        if (n < 32) return d.gpr(n);
        if (n == TargetXml.PC) return d.pc();
        if (n < TargetXml.PRIV) return d.fpr(n - TargetXml.FIRST_FPR);
        if (n == TargetXml.PRIV) return (long) d.privilege();
        return d.csr(n - TargetXml.FIRST_CSR);
    }

    private static boolean writeRegister(HartDebug d, int n, long v) {
        if (n < 32) { if (n != 0) d.setGpr(n, v); return true; }
        if (n == TargetXml.PC) { d.setPc(v); return true; }
        if (n < TargetXml.PRIV) { d.setFpr(n - TargetXml.FIRST_FPR, v); return true; }
        if (n == TargetXml.PRIV) return false; // HartDebug has no way to change the privilege level
        return d.setCsr(n - TargetXml.FIRST_CSR, v);
    }

    // ---- memory ----

    private void readMemory(String arg) {
        int comma = arg.indexOf(',');
        long addr = Rsp.parseHex(arg.substring(0, comma));
        long len = Rsp.parseHex(arg.substring(comma + 1));
        if (len < 0 || len > MAX_MEMORY) { link.send("E22"); return; }
        byte[] buf = new byte[(int) len];
        Integer n = onHart(gHart, d -> d.readMemory(addr, buf, 0, buf.length));
        link.send(n == null || n < buf.length ? "E14" : Rsp.hex(buf));
    }

    private void writeMemoryHex(String arg) {
        int comma = arg.indexOf(',');
        int colon = arg.indexOf(':');
        long addr = Rsp.parseHex(arg.substring(0, comma));
        long len = Rsp.parseHex(arg.substring(comma + 1, colon));
        byte[] data = Rsp.unhex(arg.substring(colon + 1));
        writeMemory(addr, len, data);
    }

    private void writeMemoryBinary(byte[] raw) {
        int colon = -1;
        for (int i = 0; i < raw.length; i++) if (raw[i] == ':') { colon = i; break; }
        if (colon < 0) throw new IllegalArgumentException("X without data");
        String head = Rsp.latin1(raw, 1, colon);
        int comma = head.indexOf(',');
        long addr = Rsp.parseHex(head.substring(0, comma));
        long len = Rsp.parseHex(head.substring(comma + 1));
        writeMemory(addr, len, Rsp.unescape(raw, colon + 1, raw.length));
    }

    private void writeMemory(long addr, long len, byte[] data) {
        if (len != data.length || len > MAX_MEMORY) { link.send("E22"); return; }
        if (len == 0) { link.send("OK"); return; }
        Integer n = onHart(gHart, d -> d.writeMemory(addr, data, 0, data.length));
        link.send(n == null || n < data.length ? "E14" : "OK");
    }

    // ---- run control ----

    private static String afterSignal(String arg) {
        int semi = arg.indexOf(';');
        Rsp.parseHex(semi < 0 ? arg : arg.substring(0, semi)); // the signal is not delivered, as on QEMU
        return semi < 0 ? "" : arg.substring(semi + 1);
    }

    private void resumeAt(String addressArg, boolean step) {
        int hart = cHart >= 0 ? cHart : gHart;
        if (!addressArg.isEmpty()) {
            long pc = Rsp.parseHex(addressArg);
            onHart(hart, d -> { d.setPc(pc); return Boolean.TRUE; });
        }
        resume(step ? hart : -1, null);
    }

    /**
     * Lets the guest run (stepping {@code stepHart} if it is not -1) and waits for the machine to stop.
     * Only the harts in {@code running} execute (null: all), as QEMU does for a vCont that names threads.
     */
    private void resume(int stepHart, Set<Integer> running) {
        waiting = true;
        debugPolls = 0;
        steppingHart = stepHart;
        RunState refused = target.call(() -> {
            RunState s = target.runState();
            if (needsReset(s)) return s;
            List<Hart> harts = target.harts();
            if (stepHart >= 0 && stepHart < harts.size()) harts.get(stepHart).debug().setSingleStep(true);
            target.resumeOnly(running);
            return null;
        });
        if (refused != null) {
            // QEMU leaves gdb waiting forever here; answering at once is kinder and tells why
            waiting = false;
            link.send(stopReply(signalFor(refused), gHart, ""));
        }
    }

    private static boolean needsReset(RunState s) {
        return s == RunState.SHUTDOWN || s == RunState.INTERNAL_ERROR || s == RunState.GUEST_PANICKED;
    }

    private static int signalFor(RunState s) {
        return switch (s) {
            case DEBUG -> SIGTRAP;
            case PAUSED, PRELAUNCH, PRECONFIG -> SIGINT;
            case SHUTDOWN -> SIGQUIT;
            case INTERNAL_ERROR -> SIGABRT;
            default -> SIGUNKNOWN;
        };
    }

    /**
     * A hart stopped for the debugger (breakpoint, watchpoint or step): the machine is in DEBUG. The
     * machine names the hart ({@code stoppedHart}, -1 when it cannot); it becomes gdb's current thread.
     */
    void stopped(int stoppedHart, StopReason reason) {
        if (!waiting) return; // gdb does not wait (a QMP cont resumed behind its back): '?' tells later
        waiting = false;
        record Hit(int hart, String detail) { }
        Hit hit = target.call(() -> {
            List<Hart> harts = target.harts();
            for (Hart h : harts) h.debug().setSingleStep(false);
            int hart = stoppedHart >= 0 && stoppedHart < harts.size() ? stoppedHart
                    : steppingHart >= 0 ? steppingHart : Math.max(0, cHart >= 0 ? cHart : gHart);
            String detail = "";
            if (reason == StopReason.BREAKPOINT) {
                for (int i = 0; i < harts.size(); i++) {
                    if (stoppedHart >= 0 && i != hart) continue;
                    int[] counts = breakpoints.get(harts.get(i).debug().pc());
                    if (counts != null) {
                        hart = i;
                        if (counts[0] > 0 && swbreak) detail = "swbreak:;";
                        else if (counts[0] == 0 && hwbreak) detail = "hwbreak:;";
                        break;
                    }
                }
            } else if (reason == StopReason.WATCHPOINT) {
                for (int i = 0; i < harts.size(); i++) {
                    if (stoppedHart >= 0 && i != hart) continue;
                    HartDebug d = harts.get(i).debug();
                    long a = d.lastWatchpointAddress();
                    Watch w = watchpoints.stream().filter(x -> x.covers(a)).findFirst().orElse(null);
                    if (w != null || harts.size() == 1 || stoppedHart >= 0) {
                        hart = i;
                        String kind = w == null || w.kind == 2 ? "watch" : w.kind == 3 ? "rwatch" : "awatch";
                        detail = kind + ":" + address(w == null ? a : w.address, d.xlen()) + ";";
                        break;
                    }
                }
            }
            return new Hit(hart, detail);
        });
        gHart = hit.hart;
        cHart = hit.hart;
        link.send(stopReply(SIGTRAP, hit.hart, hit.detail));
    }

    /** Ctrl-C: stop a running guest as QEMU does (state paused) and report SIGINT. */
    void interrupt() {
        if (!waiting) return;
        RunState found = target.call(() -> {
            RunState s = target.runState();
            if (s == RunState.RUNNING) target.pause(RunState.PAUSED);
            for (Hart h : target.harts()) h.debug().setSingleStep(false);
            return s;
        });
        if (found == RunState.DEBUG) return; // a breakpoint won the race: its stop reply is on its way
        waiting = false;
        link.send(stopReply(SIGINT, Math.max(0, cHart >= 0 ? cHart : gHart), ""));
    }

    /**
     * Called periodically while gdb waits: the machine may have stopped for a reason that is not the
     * debugger's (QMP stop, a shutdown, an internal error), as QEMU reports through its state hook.
     */
    void poll() {
        if (!waiting) return;
        RunState s = target.runState();
        if (s == RunState.RUNNING) { debugPolls = 0; return; }
        // DEBUG without our stop event: give the event a moment to arrive before reporting it ourselves
        if (s == RunState.DEBUG && ++debugPolls < 3) return;
        waiting = false;
        target.call(() -> { for (Hart h : target.harts()) h.debug().setSingleStep(false); return null; });
        link.send(stopReply(signalFor(s), Math.max(0, cHart >= 0 ? cHart : gHart), ""));
    }

    private void detach() {
        removeAll();
        target.call(() -> {
            RunState s = target.runState();
            if (s != RunState.RUNNING && !needsReset(s)) target.resume();
            return null;
        });
        waiting = false;
        detached = true;
        link.send("OK");
    }

    private void kill(boolean reply) {
        removeAll();
        if (reply) link.send("OK");
        System.err.println("orrery: Terminated via GDBstub");
        target.quit(0);
    }

    // ---- breakpoints and watchpoints ----

    private void breakOrWatch(String arg, boolean insert) {
        int semi = arg.indexOf(';');
        String[] f = (semi < 0 ? arg : arg.substring(0, semi)).split(",");
        if (f.length != 3) throw new IllegalArgumentException("Z needs type,addr,kind");
        int type = (int) Rsp.parseHex(f[0]);
        long addr = Rsp.parseHex(f[1]);
        long kind = Rsp.parseHex(f[2]);
        if (type > 4) { link.send(""); return; }
        Boolean ok = type <= 1 ? breakpoint(addr, type, insert) : watchpoint(addr, kind, type, insert);
        link.send(ok == null ? "E22" : ok ? "OK" : "E22");
    }

    private Boolean breakpoint(long addr, int type, boolean insert) {
        int[] counts = breakpoints.get(addr);
        if (insert) {
            boolean first = counts == null;
            if (first) breakpoints.put(addr, counts = new int[2]);
            counts[type]++;
            if (first) forAllHarts(d -> d.addBreakpoint(addr));
        } else {
            if (counts == null || counts[type] == 0) return true; // removing what is not there is fine
            counts[type]--;
            if (counts[0] + counts[1] == 0) {
                breakpoints.remove(addr);
                forAllHarts(d -> d.removeBreakpoint(addr));
            }
        }
        return true;
    }

    private Boolean watchpoint(long addr, long length, int kind, boolean insert) {
        if (length <= 0 || length > (1 << 20)) return false;
        Watch w = new Watch(addr, length, kind);
        if (insert) {
            watchpoints.add(w);
            forAllHarts(d -> d.addWatchpoint(addr, length, kind));
        } else if (watchpoints.remove(w)) {
            forAllHarts(d -> d.removeWatchpoint(addr, length, kind));
        }
        return true;
    }

    private void removeAll() {
        if (breakpoints.isEmpty() && watchpoints.isEmpty()) {
            target.call(() -> { for (Hart h : target.harts()) h.debug().setSingleStep(false); return null; });
            return;
        }
        List<Long> bps = List.copyOf(breakpoints.keySet());
        List<Watch> wps = List.copyOf(watchpoints);
        breakpoints.clear();
        watchpoints.clear();
        target.call(() -> {
            for (Hart h : target.harts()) {
                HartDebug d = h.debug();
                for (long a : bps) d.removeBreakpoint(a);
                for (Watch w : wps) d.removeWatchpoint(w.address, w.length, w.kind);
                d.setSingleStep(false);
            }
            return null;
        });
    }

    private void forAllHarts(java.util.function.Consumer<HartDebug> action) {
        target.call(() -> { for (Hart h : target.harts()) action.accept(h.debug()); return null; });
    }

    // ---- threads ----

    private void setThread(String arg) {
        if (arg.isEmpty()) throw new IllegalArgumentException("H without operation");
        char op = arg.charAt(0);
        String id = arg.substring(1);
        int t = parseThread(id);
        boolean all = isAllThreads(id);
        if (t < 0 && !all) { link.send("E22"); return; }
        if (op == 'g') { gHart = Math.max(0, t); link.send("OK"); }
        else if (op == 'c') { cHart = all ? -1 : t; link.send("OK"); }
        else link.send("E22");
    }

    private static boolean isAllThreads(String id) { return id.equals("-1") || id.endsWith(".-1"); }

    /**
     * A thread id ("1", "p1.2", "0" = any, "-1" = all) as a hart index: any gives 0; an id of no hart,
     * "-1" and malformed ids give -1.
     */
    private int parseThread(String id) {
        try {
            String tid = id;
            if (id.startsWith("p")) {
                int dot = id.indexOf('.');
                String pid = dot < 0 ? id.substring(1) : id.substring(1, dot);
                if (!pid.equals("-1") && !pid.equals("0") && Rsp.parseHex(pid) != 1) return -1;
                tid = dot < 0 ? "0" : id.substring(dot + 1);
            }
            if (tid.equals("-1")) return -1;
            long n = Rsp.parseHex(tid);
            if (n == 0) return 0;
            int count = hartCount();
            return n <= count ? (int) n - 1 : -1;
        } catch (IllegalArgumentException e) {
            return -1;
        }
    }

    private int hartCount() { return target.call(() -> target.harts().size()); }

    private String threadId(int hart) {
        return multiprocess ? String.format(Locale.ROOT, "p01.%02x", hart + 1) : String.format(Locale.ROOT, "%02x", hart + 1);
    }

    private String stopReply(int signal, int hart, String detail) {
        return String.format(Locale.ROOT, "T%02xthread:%s;%s", signal, threadId(hart), detail);
    }

    private static String address(long a, int xlen) {
        return xlen == 32 ? String.format(Locale.ROOT, "%08x", a & 0xffffffffL) : String.format(Locale.ROOT, "%016x", a);
    }

    // ---- queries ----

    private void query(String q) {
        if (q.startsWith("Supported")) supported(q);
        else if (q.startsWith("Xfer:features:read:")) features(q.substring("Xfer:features:read:".length()));
        else if (q.equals("C")) link.send("QC" + threadId(Math.max(0, gHart)));
        else if (q.equals("fThreadInfo")) {
            int n = hartCount();
            StringBuilder sb = new StringBuilder("m");
            for (int i = 0; i < n; i++) sb.append(i == 0 ? "" : ",").append(threadId(i));
            link.send(n == 0 ? "l" : sb.toString());
        } else if (q.equals("sThreadInfo")) link.send("l");
        else if (q.startsWith("ThreadExtraInfo,")) threadExtraInfo(q.substring("ThreadExtraInfo,".length()));
        else if (q.equals("Attached") || q.startsWith("Attached:")) link.send("1");
        else if (q.startsWith("Rcmd,")) monitor(Rsp.unhexText(q.substring("Rcmd,".length())));
        else link.send(""); // qOffsets, qSymbol, qTStatus ...: nothing to say, as QEMU
    }

    private void supported(String q) {
        String features = q.startsWith("Supported:") ? q.substring("Supported:".length()) : "";
        multiprocess = swbreak = hwbreak = false;
        for (String f : features.split(";")) {
            if (f.equals("multiprocess+")) multiprocess = true;
            else if (f.equals("swbreak+")) swbreak = true;
            else if (f.equals("hwbreak+")) hwbreak = true;
        }
        link.send("PacketSize=" + Integer.toHexString(PACKET_SIZE) + ";qXfer:features:read+;QStartNoAckMode+"
                + ";swbreak+;hwbreak+;vContSupported+" + (multiprocess ? ";multiprocess+" : ""));
    }

    private void features(String arg) {
        int colon = arg.lastIndexOf(':');
        if (colon < 0) throw new IllegalArgumentException("qXfer without offset");
        String annex = arg.substring(0, colon);
        String[] range = arg.substring(colon + 1).split(",");
        if (range.length != 2) throw new IllegalArgumentException("qXfer range");
        long offset = Rsp.parseHex(range[0]);
        long length = Rsp.parseHex(range[1]);
        if (!annex.equals("target.xml")) { link.send("E00"); return; }
        byte[] doc = Rsp.latin1(targetXml());
        if (offset >= doc.length) { link.send("l"); return; }
        int end = (int) Math.min(doc.length, offset + Math.min(length, PACKET_SIZE / 2));
        byte[] chunk = Rsp.escape(doc, (int) offset, end);
        byte[] out = new byte[chunk.length + 1];
        out[0] = (byte) (end < doc.length ? 'm' : 'l');
        System.arraycopy(chunk, 0, out, 1, chunk.length);
        link.send(out);
    }

    String targetXml() {
        if (targetXml == null) {
            targetXml = target.call(() -> {
                List<Hart> harts = target.harts();
                if (harts.isEmpty()) return TargetXml.build("riscv:rv64", 64, n -> true);
                HartDebug d = harts.get(0).debug();
                IntPredicate present = n -> d.csr(n) != null;
                return TargetXml.build(d.architecture(), d.xlen(), present);
            });
        }
        return targetXml;
    }

    private void threadExtraInfo(String id) {
        int t = parseThread(id);
        if (t < 0) { link.send("E22"); return; }
        Boolean halted = target.call(() -> {
            List<Hart> harts = target.harts();
            return t < harts.size() && harts.get(t).waitingForInterrupt();
        });
        link.send(Rsp.hexText("CPU#" + t + " [" + (halted ? "halted " : "running") + "]"));
    }

    /** {@code monitor CMD}: the human monitor's output as console output (O packets), then OK. */
    private void monitor(String commandLine) {
        String text = target.monitor(commandLine);
        if (text != null && !text.isEmpty()) {
            text = text.replace("\r\n", "\n").replace("\n", "\r\n");
            byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            int chunk = (PACKET_SIZE - 16) / 2;
            for (int i = 0; i < bytes.length; i += chunk) link.send("O" + Rsp.hex(bytes, i, Math.min(bytes.length, i + chunk)));
        }
        link.send("OK");
    }

    private void set(String q) {
        if (q.equals("StartNoAckMode")) {
            // switch before answering: gdb's next packet may follow its '+' at once and must not be acked
            link.stopAcking();
            link.send("OK");
        } else {
            link.send("");
        }
    }

    private void verbose(String v) {
        if (v.equals("Cont?")) link.send("vCont;c;C;s;S");
        else if (v.startsWith("Cont;")) vCont(v.substring("Cont;".length()));
        else if (v.startsWith("Kill")) kill(true);
        else link.send(""); // vMustReplyEmpty and everything we do not know
    }

    private void vCont(String actions) {
        int step = -1;
        boolean any = false, all = false;
        Set<Integer> running = new HashSet<>();
        for (String a : actions.split(";")) {
            if (a.isEmpty()) throw new IllegalArgumentException("empty vCont action");
            int colon = a.indexOf(':');
            String act = colon < 0 ? a : a.substring(0, colon);
            String thread = colon < 0 ? "-1" : a.substring(colon + 1);
            char c = act.charAt(0);
            if ((c == 'C' || c == 'S') && act.length() > 1) Rsp.parseHex(act.substring(1));
            else if (act.length() != 1) throw new IllegalArgumentException("bad vCont action " + a);
            if (c != 's' && c != 'S' && c != 'c' && c != 'C')
                throw new IllegalArgumentException("vCont action " + a + " is not offered"); // t, r
            int t = parseThread(thread);
            boolean allThreads = isAllThreads(thread) || t < 0;
            if ((c == 's' || c == 'S') && step < 0) step = allThreads ? Math.max(0, gHart) : t;
            if (allThreads) all = true;
            else running.add(t);
            any = true;
        }
        if (!any) throw new IllegalArgumentException("vCont without actions");
        resume(step, all ? null : running);
    }

    // ---- helpers ----

    /** Runs {@code f} on the machine thread with the hart's debug interface; null when there is no such hart. */
    private <T> T onHart(int hart, java.util.function.Function<HartDebug, T> f) {
        return target.call(() -> {
            List<Hart> harts = target.harts();
            int i = Math.max(0, hart);
            if (i >= harts.size()) return null;
            try {
                return f.apply(harts.get(i).debug());
            } catch (RuntimeException e) {
                return null; // the hart refused (an address it cannot reach): gdb gets an error, never a crash
            }
        });
    }
}
