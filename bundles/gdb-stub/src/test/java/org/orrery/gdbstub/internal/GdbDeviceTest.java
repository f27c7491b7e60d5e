package org.orrery.gdbstub.internal;

import org.junit.jupiter.api.Test;
import org.orrery.qom.QomException;

import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GdbDeviceTest {
    @Test void tcpWithoutHostIsLoopback() {
        InetSocketAddress a = (InetSocketAddress) GdbDevice.parse("tcp::1234").address();
        assertTrue(a.getAddress().isLoopbackAddress());
        assertEquals(1234, a.getPort());
        assertEquals(1234, ((InetSocketAddress) GdbDevice.parse("1234").address()).getPort());
    }

    @Test void tcpWithHostAndOptions() {
        InetSocketAddress a = (InetSocketAddress) GdbDevice.parse("tcp:0.0.0.0:4321,server=on,wait=off,nodelay=on").address();
        assertTrue(a.getAddress().isAnyLocalAddress());
        assertEquals(4321, a.getPort());
        assertEquals(5, ((InetSocketAddress) GdbDevice.parse("tcp:[::1]:5").address()).getPort());
    }

    @Test void unixPaths() {
        assertEquals(UnixDomainSocketAddress.of(Path.of("/tmp/g.sock")), GdbDevice.parse("unix:/tmp/g.sock,server=on").address());
    }

    @Test void nonsenseIsAClearError() {
        for (String bad : new String[]{"tcp:1234", "tcp::99999", "tcp::x", "udp::1", "unix:", "unix:/x,server=off", "tcp::1,foo=1", "stdio"})
            assertTrue(assertThrows(QomException.class, () -> GdbDevice.parse(bad)).getMessage().startsWith("gdbstub: invalid device"), bad);
    }
}
