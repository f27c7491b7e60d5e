package org.orrery.qom;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PropertyTypesTest {
    private static final ObjectMapper M = new ObjectMapper();
    private static final PropertyType.ObjectContext NO_OBJECTS = p -> null;

    private static JsonNode json(String s) throws Exception { return M.readTree(s); }

    private static <T> T fromJson(PropertyType<T> t, String json) throws Exception {
        return t.read(Value.ofJson("p", json(json)), NO_OBJECTS);
    }

    private static <T> T fromText(PropertyType<T> t, String text) { return t.read(Value.ofText("p", text), NO_OBJECTS); }

    @Test void boolAcceptsJsonBooleansAndQemuWords() throws Exception {
        assertEquals(true, fromJson(PropertyTypes.BOOL, "true"));
        assertEquals(false, fromText(PropertyTypes.BOOL, "off"));
        assertEquals(true, fromText(PropertyTypes.BOOL, "on"));
        assertEquals(true, fromText(PropertyTypes.BOOL, "yes"));
        QomException e = assertThrows(QomException.class, () -> fromJson(PropertyTypes.BOOL, "\"on\""));
        assertEquals("Invalid parameter type for 'p', expected: boolean", e.getMessage());
        assertThrows(QomException.class, () -> fromText(PropertyTypes.BOOL, "maybe"));
    }

    @Test void signedIntegersAreRangeChecked() throws Exception {
        assertEquals(-128L, fromJson(PropertyTypes.INT8, "-128"));
        assertEquals(127L, fromJson(PropertyTypes.INT8, "127"));
        assertThrows(QomException.class, () -> fromJson(PropertyTypes.INT8, "128"));
        assertThrows(QomException.class, () -> fromJson(PropertyTypes.INT16, "-32769"));
        assertEquals(-2147483648L, fromJson(PropertyTypes.INT32, "-2147483648"));
        assertThrows(QomException.class, () -> fromJson(PropertyTypes.INT32, "2147483648"));
        assertEquals(Long.MIN_VALUE, fromJson(PropertyTypes.INT64, "-9223372036854775808"));
        assertThrows(QomException.class, () -> fromJson(PropertyTypes.INT64, "9223372036854775808"));
        assertThrows(QomException.class, () -> fromJson(PropertyTypes.INT64, "1.5"));
        assertThrows(QomException.class, () -> fromJson(PropertyTypes.INT64, "\"12\""));
        assertEquals(-16L, fromText(PropertyTypes.INT64, "-0x10"));
    }

    @Test void unsignedIntegersAreRangeChecked() throws Exception {
        assertEquals(255L, fromJson(PropertyTypes.UINT8, "255"));
        assertThrows(QomException.class, () -> fromJson(PropertyTypes.UINT8, "256"));
        assertThrows(QomException.class, () -> fromJson(PropertyTypes.UINT8, "-1"));
        assertEquals(65535L, fromJson(PropertyTypes.UINT16, "65535"));
        assertThrows(QomException.class, () -> fromJson(PropertyTypes.UINT16, "65536"));
        assertEquals(4294967295L, fromJson(PropertyTypes.UINT32, "4294967295"));
        assertThrows(QomException.class, () -> fromJson(PropertyTypes.UINT32, "4294967296"));
        long max = fromJson(PropertyTypes.UINT64, "18446744073709551615");
        assertEquals(-1L, max);
        assertEquals(new BigInteger("18446744073709551615"), PropertyTypes.UINT64.write(max).bigIntegerValue());
        assertThrows(QomException.class, () -> fromJson(PropertyTypes.UINT64, "18446744073709551616"));
        assertEquals(0x80000000L, fromText(PropertyTypes.UINT64, "0x80000000"));
    }

    @Test void sizesTakeQemuSuffixes() throws Exception {
        assertEquals(256L << 20, fromText(PropertyTypes.SIZE, "256M"));
        assertEquals(2L << 30, fromText(PropertyTypes.SIZE, "2G"));
        assertEquals(4096L, fromText(PropertyTypes.SIZE, "4k"));
        assertEquals(4096L, fromText(PropertyTypes.SIZE, "4K"));
        assertEquals(1536L << 20, fromText(PropertyTypes.SIZE, "1.5G"));
        assertEquals(512L, fromText(PropertyTypes.SIZE, "512"));
        assertEquals(1L << 40, fromText(PropertyTypes.SIZE, "1T"));
        assertEquals(1048576L, fromJson(PropertyTypes.SIZE, "1048576"));
        assertThrows(QomException.class, () -> fromText(PropertyTypes.SIZE, "12Q"));
        assertThrows(QomException.class, () -> fromText(PropertyTypes.SIZE, "-1M"));
        assertThrows(QomException.class, () -> fromText(PropertyTypes.SIZE, "32E"));
        assertThrows(QomException.class, () -> fromJson(PropertyTypes.SIZE, "\"256M\""));
    }

    @Test void stringsEnumsAndLists() throws Exception {
        assertEquals("hi", fromJson(PropertyTypes.STR, "\"hi\""));
        assertThrows(QomException.class, () -> fromJson(PropertyTypes.STR, "5"));
        PropertyType<String> mode = PropertyTypes.enumOf("Mode", "fast", "slow");
        assertEquals("slow", fromText(mode, "slow"));
        QomException e = assertThrows(QomException.class, () -> fromText(mode, "medium"));
        assertTrue(e.getMessage().contains("fast, slow"), e.getMessage());
        PropertyType<List<Long>> lanes = PropertyTypes.listOf(PropertyTypes.UINT8);
        assertEquals(List.of(1L, 2L, 3L), fromJson(lanes, "[1,2,3]"));
        assertThrows(QomException.class, () -> fromJson(lanes, "[1,300]"));
        assertEquals("[1,2]", lanes.write(List.of(1L, 2L)).toString());
        assertEquals("list<uint8>", lanes.name());
    }

    @Test void keyvalParsesQemuOptionSyntax() {
        var o = Keyval.parse("virtio-blk-device,drive=d0,serial=a,,b,ro,nowait,x.y=1,x.z=2", "driver");
        assertEquals("virtio-blk-device", o.get("driver").textValue());
        assertEquals("d0", o.get("drive").textValue());
        assertEquals("a,b", o.get("serial").textValue());
        assertEquals("on", o.get("ro").textValue());
        assertEquals("off", o.get("wait").textValue());
        assertEquals("1", o.get("x").get("y").textValue());
        assertEquals("2", o.get("x").get("z").textValue());
        assertThrows(QomException.class, () -> Keyval.parse("a=1,=2", null));
        assertThrows(QomException.class, () -> Keyval.parse("a=1,a.b=2", null));
    }
}
