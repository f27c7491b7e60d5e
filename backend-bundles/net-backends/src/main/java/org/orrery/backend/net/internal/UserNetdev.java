package org.orrery.backend.net.internal;

import org.orrery.backend.net.user.UserConfig;
import org.orrery.backend.net.user.UserNetwork;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QomException;

import java.io.IOException;
import java.util.List;

/** {@code -netdev user}: QEMU's user-mode network, served by {@link UserNetwork} on a thread of its own. */
final class UserNetdev extends Netdev {
    static final Property<String> NET = Property.of("net", PropertyTypes.STR).description("the guest network, ADDR[/MASK] (default 10.0.2.0/24)");
    static final Property<String> HOST = Property.of("host", PropertyTypes.STR).description("the host's (gateway's) address in it (default .2)");
    static final Property<String> DNS = Property.of("dns", PropertyTypes.STR).description("the DNS forwarder's address (default .3)");
    static final Property<String> DHCPSTART = Property.of("dhcpstart", PropertyTypes.STR).description("the first address DHCP hands out (default .15)");
    static final Property<String> TFTP = Property.of("tftp", PropertyTypes.STR).description("the folder the built-in TFTP server serves (read-only)");
    static final Property<String> BOOTFILE = Property.of("bootfile", PropertyTypes.STR).description("the boot file name DHCP announces");
    static final Property<String> HOSTNAME = Property.of("hostname", PropertyTypes.STR).description("the host name DHCP gives the guest");
    static final Property<Boolean> RESTRICT = Property.of("restrict", PropertyTypes.BOOL).defaultValue(false)
            .description("isolate the guest: no connections out, only DHCP, TFTP, ping of the gateway and hostfwd");
    static final Property<List<String>> HOSTFWD = Property.of("hostfwd", PropertyTypes.listOf(PropertyTypes.STR))
            .description("forward a host port to the guest: [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT (repeatable)");
    static final Property<Boolean> IPV4 = Property.of("ipv4", PropertyTypes.BOOL).defaultValue(true).description("IPv4 (the only one served)");
    static final Property<Boolean> IPV6 = Property.of("ipv6", PropertyTypes.BOOL).defaultValue(false)
            .description("IPv6 (not served: guests' IPv6 frames are dropped and counted as unsupported)");
    static final Property<Long> FRAMES_FROM_GUEST = counter("frames-from-guest", "frames the guest sent", n -> n.fromGuest.get());
    static final Property<Long> FRAMES_TO_GUEST = counter("frames-to-guest", "frames delivered towards the guest", n -> n.toGuest.get());
    static final Property<Long> MALFORMED = counter("malformed-frames", "guest frames dropped because they did not parse", n -> n.malformed.get());
    static final Property<Long> UNSUPPORTED = counter("unsupported-frames", "guest frames dropped as unsupported (IPv6, fragments, other protocols)", n -> n.unsupported.get());
    static final Property<Long> REFUSED = counter("refused", "guest packets refused (restrict=on, unreachable, limits)", n -> n.refused.get());
    static final Property<Long> DROPPED = counter("dropped-frames", "frames dropped because a queue was full or the link down",
            n -> n.droppedToGuest.get() + n.droppedFromGuest.get());
    static final Property<Long> RETRANSMITS = counter("retransmits", "TCP segments sent to the guest again after a silence", n -> n.retransmits.get());
    static final Property<Long> QUEUED = Property.of("queued-frames", PropertyTypes.UINT64)
            .description("frames waiting for the NIC's receive buffers").computed((UserNetdev d) -> (long) d.queued());
    static final Property<Long> CONNECTIONS = Property.of("tcp-connections", PropertyTypes.UINT64)
            .description("TCP connections open through the host").computed((UserNetdev d) -> d.network == null ? 0L : (long) d.network.tcpConnections());

    private UserNetwork network;

    private static Property<Long> counter(String name, String doc, java.util.function.ToLongFunction<UserNetwork.Counters> read) {
        return Property.of(name, PropertyTypes.UINT64).description(doc)
                .computed((UserNetdev d) -> d.network == null ? 0L : read.applyAsLong(d.network.counters()));
    }

    @Override String kind() { return "user"; }

    @Override protected void onRealize() {
        if (!get(IPV4)) throw new QomException("netdev user: ipv4=off leaves nothing to serve (IPv6 is not supported)");
        UserConfig config;
        try {
            config = UserConfig.parse(get(NET), get(HOST), get(DNS), get(DHCPSTART), get(TFTP), get(BOOTFILE), get(RESTRICT),
                    get(HOSTNAME), isSet(HOSTFWD) ? get(HOSTFWD) : List.of());
        } catch (IllegalArgumentException e) {
            throw new QomException(e.getMessage());
        }
        try {
            network = new UserNetwork(name(), config, new UserNetwork.GuestLink() {
                @Override public boolean deliver(byte[] frame) { return UserNetdev.this.deliver(frame); }
                @Override public boolean hasRoom() { return UserNetdev.this.hasRoom(); }
            });
        } catch (IOException e) {
            throw new QomException(e.getMessage());
        }
        network.start();
    }

    @Override protected void onUnrealize() { stop(); }

    @Override protected void onFinalize() { stop(); }

    private void stop() {
        UserNetwork n = network;
        network = null;
        if (n != null) n.close();
    }

    @Override void fromGuest(byte[] frame, int offset, int length) {
        UserNetwork n = network;
        if (n != null) n.fromGuest(frame, offset, length);
    }

    @Override void roomAgain() {
        UserNetwork n = network;
        if (n != null) n.wakeup();
    }

    @Override String info() {
        UserConfig c = network != null ? network.config() : UserConfig.defaults();
        return "index=0,type=user,net=" + ip(c.network()) + ",restrict=" + (c.restricted() ? "on" : "off");
    }

    private static String ip(int a) { return (a >>> 24) + "." + (a >>> 16 & 0xff) + "." + (a >>> 8 & 0xff) + "." + (a & 0xff); }
}
