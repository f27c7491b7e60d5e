package org.orrery.gdbstub.internal;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PacketReaderTest {
    private final List<PacketReader.Input> got = new ArrayList<>();
    private final PacketReader reader = new PacketReader(64, got::add);

    private void feed(String s) {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        reader.feed(b, 0, b.length);
    }

    private String payload(int i) {
        return new String(assertInstanceOf(PacketReader.Input.Packet.class, got.get(i)).payload(), StandardCharsets.ISO_8859_1);
    }

    @Test void packetsAcksAndInterrupts() {
        feed("+$qSupported:multiprocess+#c6-\u0003$g#67");
        assertInstanceOf(PacketReader.Input.Ack.class, got.get(0));
        assertEquals("qSupported:multiprocess+", payload(1));
        assertInstanceOf(PacketReader.Input.Nack.class, got.get(2));
        assertInstanceOf(PacketReader.Input.Interrupt.class, got.get(3));
        assertEquals("g", payload(4));
    }

    @Test void aPacketMaySpanManyReads() {
        for (char c : "$m80000000,4#55".toCharArray()) {
            assertTrue(got.isEmpty());
            feed(String.valueOf(c));
        }
        assertEquals("m80000000,4", payload(0));
        assertFalse(reader.inPacket());
    }

    @Test void checksumsAreVerifiedInEitherCase() {
        feed("$g#68$g#XY$?#3F");
        assertInstanceOf(PacketReader.Input.BadChecksum.class, got.get(0));
        assertInstanceOf(PacketReader.Input.BadChecksum.class, got.get(1));
        assertEquals("?", payload(2));
    }

    @Test void binaryPayloadsKeepTheirBytes() {
        byte[] frame = Rsp.frame(new byte[]{'X', '1', ',', '1', ':', 0x7d, 0x03, 0, (byte) 0xff}, false);
        reader.feed(frame, 0, frame.length);
        byte[] p = assertInstanceOf(PacketReader.Input.Packet.class, got.get(0)).payload();
        assertEquals(9, p.length);
        assertEquals((byte) 0xff, p[8]);
    }

    @Test void overlongPacketsAreDroppedWholeAndTheStreamRecovers() {
        String big = "M0,100:" + "00".repeat(256);
        feed(new String(Rsp.frame(big, false), StandardCharsets.ISO_8859_1) + "$g#67");
        assertInstanceOf(PacketReader.Input.Overlong.class, got.get(0));
        assertEquals("g", payload(1));
    }

    @Test void aNewStartAbandonsAnUnfinishedPacket() {
        feed("$m8000$g#67");
        assertEquals(1, got.size());
        assertEquals("g", payload(0));
    }

    @Test void noiseBetweenPacketsIsIgnored() {
        feed("garbage\r\n$g#67");
        assertEquals(1, got.size());
    }
}
