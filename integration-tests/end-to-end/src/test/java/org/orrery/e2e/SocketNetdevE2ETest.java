package org.orrery.e2e;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * -netdev socket (connect=, length-prefixed frames over TCP), stream (server=on) and dgram (UDP) as another
 * emulator sees them: this test is the other end of the wire, a host at 10.0.2.99 that answers ARP and ping,
 * and Debian's U-Boot with a static address pings it.
 */
@Tag("e2e")
class SocketNetdevE2ETest {
    static final String OPENSBI = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin";
    static final byte[] PEER_MAC = {0x02, 0x00, 0x00, 0x00, 0x00, 0x63};
    static final byte[] PEER_IP = {10, 0, 2, 99};
    static final Duration LIMIT = Duration.ofSeconds(60);
    @TempDir Path tmp;

    /** One end of the wire: frames in and out. */
    interface Wire extends AutoCloseable {
        byte[] receive() throws Exception;
        void send(byte[] frame) throws Exception;
    }

    @ParameterizedTest
    @ValueSource(strings = {"socket", "stream", "dgram"})
    void ubootPingsAHostAtTheOtherEndOfTheWire(String kind) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) { port = s.getLocalPort(); }
        String netdev;
        Wire wire;
        ServerSocket listener = null;
        DatagramSocket udp = null;
        switch (kind) {
            case "socket" -> {
                listener = new ServerSocket(port, 1, InetAddress.getLoopbackAddress());
                netdev = "socket,id=n0,connect=127.0.0.1:" + port;
            }
            case "stream" -> netdev = "stream,id=n0,server=on,addr.type=inet,addr.host=127.0.0.1,addr.port=" + port;
            default -> {
                udp = new DatagramSocket(0, InetAddress.getLoopbackAddress());
                netdev = "dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=" + port
                        + ",remote.type=inet,remote.host=127.0.0.1,remote.port=" + udp.getLocalPort();
            }
        }
        try (Orrery o = Orrery.start(List.of("-machine", "virt", "-m", "256M", "-nographic", "-bios", OPENSBI,
                "-kernel", Orrery.UBOOT_SMODE.toString(), "-netdev", netdev, "-device", "virtio-net-device,netdev=n0"))) {
            wire = switch (kind) {
                case "socket" -> stream(listener.accept());
                case "stream" -> stream(connectWhenListening(o, port));
                default -> datagrams(udp, port);
            };
            Thread peer = Thread.ofVirtual().start(() -> answer(wire));
            try {
                o.await("Hit any key", Duration.ofSeconds(120));
                o.uboot("", LIMIT);
                String out = o.uboot("setenv ipaddr 10.0.2.15; setenv netmask 255.255.255.0; ping 10.0.2.99", LIMIT);
                assertTrue(out.contains("host 10.0.2.99 is alive"), out);
            } finally {
                peer.interrupt();
                wire.close();
            }
        } finally {
            if (listener != null) listener.close();
        }
    }

    private static Socket connectWhenListening(Orrery o, int port) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            try {
                return new Socket(InetAddress.getLoopbackAddress(), port);
            } catch (java.io.IOException e) {
                if (System.nanoTime() > deadline || !o.process.isAlive()) throw new AssertionError("no listener: " + o.output(), e);
                Thread.sleep(50);
            }
        }
    }

    private static Wire stream(Socket s) throws Exception {
        DataInputStream in = new DataInputStream(s.getInputStream());
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        return new Wire() {
            public byte[] receive() throws Exception {
                byte[] f = new byte[in.readInt()];
                in.readFully(f);
                return f;
            }
            public synchronized void send(byte[] frame) throws Exception {
                out.writeInt(frame.length);
                out.write(frame);
                out.flush();
            }
            public void close() throws Exception { s.close(); }
        };
    }

    private static Wire datagrams(DatagramSocket s, int orreryPort) {
        return new Wire() {
            public byte[] receive() throws Exception {
                DatagramPacket p = new DatagramPacket(new byte[70000], 70000);
                s.receive(p);
                return Arrays.copyOf(p.getData(), p.getLength());
            }
            public void send(byte[] frame) throws Exception {
                s.send(new DatagramPacket(frame, frame.length, InetAddress.getLoopbackAddress(), orreryPort));
            }
            public void close() { s.close(); }
        };
    }

    /** The host at 10.0.2.99: ARP replies and ICMP echo replies, the rest ignored. */
    private static void answer(Wire wire) {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                byte[] f = wire.receive();
                if (f.length >= 42 && f[12] == 8 && f[13] == 6 && f[21] == 1 && Arrays.equals(Arrays.copyOfRange(f, 38, 42), PEER_IP)) {
                    byte[] r = f.clone();
                    System.arraycopy(f, 6, r, 0, 6);
                    System.arraycopy(PEER_MAC, 0, r, 6, 6);
                    r[21] = 2;
                    System.arraycopy(PEER_MAC, 0, r, 22, 6);
                    System.arraycopy(PEER_IP, 0, r, 28, 4);
                    System.arraycopy(f, 22, r, 32, 10);
                    wire.send(r);
                } else if (f.length >= 42 && f[12] == 8 && f[13] == 0 && f[23] == 1 && f[34] == 8) {
                    byte[] r = f.clone();
                    System.arraycopy(f, 6, r, 0, 6);
                    System.arraycopy(PEER_MAC, 0, r, 6, 6);
                    System.arraycopy(f, 30, r, 26, 4);
                    System.arraycopy(f, 26, r, 30, 4);
                    r[34] = 0;
                    int total = ((f[16] & 0xff) << 8 | (f[17] & 0xff)) - (f[14] & 15) * 4;
                    r[36] = 0;
                    r[37] = 0;
                    int sum = 0;
                    for (int i = 34; i < 34 + total; i += 2) sum += (r[i] & 0xff) << 8 | (i + 1 < 34 + total ? r[i + 1] & 0xff : 0);
                    while ((sum >>> 16) != 0) sum = (sum & 0xffff) + (sum >>> 16);
                    r[36] = (byte) (~sum >>> 8);
                    r[37] = (byte) ~sum;
                    wire.send(r);
                }
            }
        } catch (Exception e) {
            // the wire closed: the test is over
        }
    }
}
