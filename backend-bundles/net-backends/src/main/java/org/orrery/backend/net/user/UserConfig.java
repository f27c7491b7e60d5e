package org.orrery.backend.net.user;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The settings of a user-mode network, with QEMU's defaults: the network 10.0.2.0/24, the host (gateway)
 * at .2, the DNS forwarder at .3, DHCP leases from .15. {@link #parse} checks each value and refuses what
 * it cannot use with a message naming the option.
 */
public record UserConfig(int network, int mask, int host, int dns, int dhcpStart, Path tftpRoot, String bootfile,
                         boolean restricted, String hostname, List<HostForward> hostForwards) {

    /** One {@code hostfwd=tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT} rule. */
    public record HostForward(String rule, boolean udp, String hostAddress, int hostPort, Integer guestAddress, int guestPort) { }

    public static UserConfig defaults() {
        return new UserConfig(0x0a000200, 0xffffff00, 0x0a000202, 0x0a000203, 0x0a00020f, null, null, false, null, List.of());
    }

    /** Settings from the option values (null where not given). */
    public static UserConfig parse(String net, String host, String dns, String dhcpStart, String tftp, String bootfile,
                                   boolean restricted, String hostname, List<String> hostfwd) {
        int network = 0x0a000200, mask = 0xffffff00;
        if (net != null) {
            String[] p = net.split("/", 2);
            Integer a = Packets.parseIp(p[0]);
            if (a == null) throw new IllegalArgumentException("Invalid net= address '" + net + "'");
            if (p.length == 2) {
                Integer m = Packets.parseIp(p[1]);
                if (m == null) {
                    int bits;
                    try {
                        bits = Integer.parseInt(p[1]);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("Invalid net= mask '" + p[1] + "'");
                    }
                    if (bits < 1 || bits > 30) throw new IllegalArgumentException("Invalid net= prefix length " + bits);
                    m = -1 << (32 - bits);
                }
                mask = m;
            }
            network = a & mask;
        }
        int hostAddr = address("host", host, network | 2, network, mask);
        int dnsAddr = address("dns", dns, network | 3, network, mask);
        int start = address("dhcpstart", dhcpStart, network | 15, network, mask);
        if (hostAddr == dnsAddr) throw new IllegalArgumentException("host and dns addresses must differ");
        Path root = null;
        if (tftp != null) {
            root = Path.of(tftp).toAbsolutePath().normalize();
            if (!java.nio.file.Files.isDirectory(root)) throw new IllegalArgumentException("tftp= '" + tftp + "' is not a folder");
        }
        List<HostForward> fwds = new ArrayList<>();
        for (String rule : hostfwd) fwds.add(hostForward(rule, start));
        return new UserConfig(network, mask, hostAddr, dnsAddr, start, root, bootfile, restricted, hostname, List.copyOf(fwds));
    }

    private static int address(String name, String value, int fallback, int network, int mask) {
        if (value == null) return fallback;
        Integer a = Packets.parseIp(value);
        if (a == null || (a & mask) != network) throw new IllegalArgumentException("Invalid " + name + "= address '" + value + "' (must be in the network)");
        return a;
    }

    /** Parses {@code [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT} as QEMU takes it. */
    static HostForward hostForward(String rule, int defaultGuest) {
        String bad = "Invalid host forwarding rule '" + rule + "'";
        String r = rule;
        boolean udp = false;
        int colon = r.indexOf(':');
        if (colon < 0) throw new IllegalArgumentException(bad);
        String proto = r.substring(0, colon);
        if (proto.equals("udp")) udp = true;
        else if (!proto.equals("tcp") && !proto.isEmpty()) throw new IllegalArgumentException(bad + " (protocol must be tcp or udp)");
        r = r.substring(colon + 1);
        int dash = r.indexOf('-');
        if (dash < 0) throw new IllegalArgumentException(bad);
        String[] hostSide = splitAddress(r.substring(0, dash), bad);
        String[] guestSide = splitAddress(r.substring(dash + 1), bad);
        int hostPort = port(hostSide[1], bad), guestPort = port(guestSide[1], bad);
        Integer guest = defaultGuest;
        if (!guestSide[0].isEmpty()) {
            guest = Packets.parseIp(guestSide[0]);
            if (guest == null) throw new IllegalArgumentException(bad + " (guest address)");
        }
        if (guestPort == 0) throw new IllegalArgumentException(bad + " (guest port)");
        return new HostForward(rule, udp, hostSide[0], hostPort, guest, guestPort);
    }

    private static String[] splitAddress(String s, String bad) {
        int c = s.lastIndexOf(':');
        if (c < 0) throw new IllegalArgumentException(bad);
        return new String[]{s.substring(0, c), s.substring(c + 1)};
    }

    private static int port(String s, String bad) {
        try {
            int p = Integer.parseInt(s);
            if (p < 0 || p > 65535) throw new IllegalArgumentException(bad + " (port " + s + ")");
            return p;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(bad + " (port '" + s + "')");
        }
    }

    boolean inNetwork(int address) { return (address & mask) == network; }
}
