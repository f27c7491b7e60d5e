package org.orrery.backend.net.internal;

import org.orrery.qom.TypeDescription;
import org.orrery.qom.TypeProvider;
import org.osgi.service.component.annotations.Component;

/** The netdev types this bundle contributes; instances live at /netdevs/ID and implement NetBackend. */
public final class NetdevTypes {
    private NetdevTypes() { }

    @Component(service = TypeProvider.class)
    public static final class Base implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named(NetdevCommands.BASE_TYPE).parent("object").abstractType()
                    .description("A network backend NICs send and receive Ethernet frames through (at /netdevs/ID)");
        }
    }

    @Component(service = TypeProvider.class)
    public static final class User implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named("netdev-user").parent(NetdevCommands.BASE_TYPE)
                    .description("User-mode networking: DHCP, DNS, TFTP and the host's TCP/UDP behind a virtual gateway, no privileges needed")
                    .properties(UserNetdev.NET, UserNetdev.HOST, UserNetdev.DNS, UserNetdev.DHCPSTART, UserNetdev.TFTP, UserNetdev.BOOTFILE,
                            UserNetdev.HOSTNAME, UserNetdev.RESTRICT, UserNetdev.HOSTFWD, UserNetdev.IPV4, UserNetdev.IPV6,
                            UserNetdev.FRAMES_FROM_GUEST, UserNetdev.FRAMES_TO_GUEST, UserNetdev.MALFORMED, UserNetdev.UNSUPPORTED,
                            UserNetdev.REFUSED, UserNetdev.DROPPED, UserNetdev.RETRANSMITS, UserNetdev.QUEUED, UserNetdev.CONNECTIONS)
                    .creates(UserNetdev::new);
        }
    }

    @Component(service = TypeProvider.class)
    public static final class Dump implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named("filter-dump").parent("object").implementing("user-creatable")
                    .description("Records a netdev's frames in a pcap file (Wireshark, tcpdump)")
                    .properties(FilterDump.NETDEV, FilterDump.FILE, FilterDump.MAXLEN, FilterDump.QUEUE)
                    .creates(FilterDump::new);
        }
    }

    @Component(service = TypeProvider.class)
    public static final class Socket implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named("netdev-socket").parent(NetdevCommands.BASE_TYPE)
                    .description("Frames to another emulator: listen=/connect= (TCP, length-prefixed) or udp= (datagrams)")
                    .properties(SocketNetdev.LISTEN, SocketNetdev.CONNECT, SocketNetdev.UDP, SocketNetdev.LOCALADDR)
                    .creates(() -> new SocketNetdev("socket"));
        }
    }

    @Component(service = TypeProvider.class)
    public static final class Stream implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named("netdev-stream").parent(NetdevCommands.BASE_TYPE)
                    .description("Frames to another emulator over a TCP or unix stream, each after its 4-byte length")
                    .properties(SocketNetdev.SERVER, SocketNetdev.ADDR)
                    .creates(() -> new SocketNetdev("stream"));
        }
    }

    @Component(service = TypeProvider.class)
    public static final class Dgram implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named("netdev-dgram").parent(NetdevCommands.BASE_TYPE)
                    .description("Frames to another emulator, one UDP datagram each")
                    .properties(SocketNetdev.LOCAL, SocketNetdev.REMOTE)
                    .creates(() -> new SocketNetdev("dgram"));
        }
    }
}
