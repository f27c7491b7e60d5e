package org.orrery.gdbstub.internal;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RspTest {
    private static String s(byte[] b) { return new String(b, StandardCharsets.ISO_8859_1); }

    @Test void checksumIsTheSumModulo256InLowerCaseHex() {
        assertEquals("$g#67", s(Rsp.frame("g", false)));
        assertEquals("$?#3f", s(Rsp.frame("?", false)));
        assertEquals("$vMustReplyEmpty#3a", s(Rsp.frame("vMustReplyEmpty", false)));
        assertEquals("$#00", s(Rsp.frame("", false)));
        assertEquals(0xfe, Rsp.checksum(new byte[]{(byte) 0xff, (byte) 0xff}));
    }

    @Test void runsAreCompressedWithoutHashOrDollarCounts() {
        assertEquals("0* ", s(Rsp.runLengthEncode("0000".getBytes())));             // 3 extra: ' '
        assertEquals("000", s(Rsp.runLengthEncode("000".getBytes())));              // too short to gain
        for (int n = 1; n < 300; n++) {
            byte[] run = "a".repeat(n).getBytes();
            byte[] enc = Rsp.runLengthEncode(run);
            for (int i = 1; i < enc.length; i++)
                if (enc[i - 1] == '*') assertFalse(enc[i] == '#' || enc[i] == '$', "count char for run of " + n);
            assertArrayEquals(run, Rsp.runLengthDecode(enc), "round trip of " + n);
        }
        byte[] mixed = "12000000000000003400000000".getBytes();
        assertArrayEquals(mixed, Rsp.runLengthDecode(Rsp.runLengthEncode(mixed)));
    }

    @Test void framedRunsStayDecodable() {
        String g = "0".repeat(528);
        byte[] frame = Rsp.frame(g, true);
        assertTrue(frame.length < 40, s(frame));
        List<PacketReader.Input> in = new ArrayList<>();
        new PacketReader(4096, in::add).feed(frame, 0, frame.length);
        PacketReader.Input.Packet p = assertInstanceOf(PacketReader.Input.Packet.class, in.get(0));
        assertEquals(g, s(Rsp.runLengthDecode(p.payload())));
    }

    @Test void binaryEscapingCoversTheFourSpecialBytes() {
        byte[] raw = {'a', '#', '$', '}', '*', 0, (byte) 0xff};
        byte[] esc = Rsp.escape(raw, 0, raw.length);
        assertEquals("a}\u0003}\u0004}]}\n\u0000\u00ff", s(esc));
        assertArrayEquals(raw, Rsp.unescape(esc, 0, esc.length));
    }

    @Test void registersTravelLittleEndian() {
        assertEquals("1400008000000000", Rsp.hexLe(0x80000014L, 8));
        assertEquals(0x80000014L, Rsp.parseLe("1400008000000000", 0, 8));
        assertEquals("ffffffff", Rsp.hexLe(-1, 4));
        assertEquals(-1L, Rsp.parseLe("ffffffffffffffff", 0, 8));
        assertThrows(IllegalArgumentException.class, () -> Rsp.parseLe("12", 0, 8));
    }

    @Test void hexNumbersAreStrict() {
        assertEquals(0x80000000L, Rsp.parseHex("80000000"));
        assertEquals(-1L, Rsp.parseHex("ffffffffffffffff"));
        assertThrows(IllegalArgumentException.class, () -> Rsp.parseHex(""));
        assertThrows(IllegalArgumentException.class, () -> Rsp.parseHex("12g"));
        assertThrows(IllegalArgumentException.class, () -> Rsp.parseHex("1ffffffffffffffff"));
        assertEquals("696e666f20737461747573", Rsp.hexText("info status"));
        assertEquals("info status", Rsp.unhexText("696e666f20737461747573"));
        assertThrows(IllegalArgumentException.class, () -> Rsp.unhex("abc"));
    }
}
