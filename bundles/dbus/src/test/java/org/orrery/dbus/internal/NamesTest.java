package org.orrery.dbus.internal;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NamesTest {
    @Test
    void commandsAndEventsAreCamelCased() {
        assertEquals("QueryStatus", Names.camel("query-status"));
        assertEquals("QomGet", Names.camel("qom-get"));
        assertEquals("XExitPreconfig", Names.camel("x-exit-preconfig"));
        assertEquals("SystemReset", Names.camel("system_reset"));
        assertEquals("Stop", Names.camel("STOP"));
        assertEquals("DeviceDeleted", Names.camel("DEVICE_DELETED"));
        assertEquals("RamSize", Names.propertyName("ram-size"));
        assertEquals("P0x", Names.propertyName("0x"));
        assertNull(Names.propertyName("--"));
    }

    @Test
    void pathElementsAreEscapedAsSystemdDoes() {
        assertEquals("peripheral_2danon", Names.escape("peripheral-anon"));
        assertEquals("device_5b0_5d", Names.escape("device[0]"));
        assertEquals("_c3_a9t_c3_a9", Names.escape("été"));
        assertEquals("/org/orrery/objects/machine/peripheral_2danon/device_5b0_5d", Names.objectPath("/machine/peripheral-anon/device[0]"));
        assertEquals("/machine/peripheral-anon/device[0]", Names.qomPath("/org/orrery/objects/machine/peripheral_2danon/device_5b0_5d"));
        assertEquals("/", Names.qomPath("/org/orrery/objects"));
        assertEquals("/été", Names.qomPath(Names.objectPath("/été")));
        assertNull(Names.qomPath("/org/orrery/objects/a_2"));     // truncated escape
        assertNull(Names.qomPath("/org/orrery/objects/a_zz"));    // not hex
        assertNull(Names.qomPath("/org/orrery/objects/_41"));     // not canonical: 'A' is never escaped
        assertNull(Names.qomPath("/org/orrery/Machine"));
    }

    @Test
    void busNames() {
        assertTrue(Names.isValidBusName("org.orrery.Emulator"));
        assertFalse(Names.isValidBusName("orrery"));
        assertFalse(Names.isValidBusName(":1.5"));
        assertFalse(Names.isValidBusName("org..x"));
    }
}
