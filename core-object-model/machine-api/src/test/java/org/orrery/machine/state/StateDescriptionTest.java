package org.orrery.machine.state;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Declared state: save, restore into a fresh object, versions and migrations, subsections, refusals, the binary form. */
class StateDescriptionTest {
    /** A device with registers, a FIFO, queues and an optional extension, as a device author writes one. */
    static final class Widget {
        long control;
        boolean enabled;
        byte[] fifo = new byte[0];
        final long[] priorities = new long[4];
        final List<Queue> queues = List.of(new Queue(), new Queue());
        long extension;
        int loads;
    }

    static final class Queue {
        long lastAvail;
    }

    static final StateDescription<Queue> QUEUE = StateDescription.of("queue", Queue.class, 1)
            .u16("last-avail", q -> q.lastAvail, (q, v) -> q.lastAvail = v).build();

    static final StateDescription<Widget> EXTENSION = StateDescription.of("widget/extension", Widget.class, 1)
            .u64("extension", w -> w.extension, (w, v) -> w.extension = v).build();

    /** Version 2 renamed "ctrl" to "control" and added "enabled" (version 1 devices were always enabled). */
    static final StateDescription<Widget> V2 = StateDescription.of("widget", Widget.class, 2)
            .u32("control", w -> w.control, (w, v) -> w.control = v)
            .bool("enabled", w -> w.enabled, (w, v) -> w.enabled = v)
            .bytes("fifo", w -> w.fifo, (w, v) -> w.fifo = v)
            .longs("priorities", w -> w.priorities)
            .records("queues", QUEUE, w -> w.queues)
            .subsection(EXTENSION, w -> w.extension != 0)
            .migrate(1, old -> old.rename("ctrl", "control").put("enabled", true))
            .afterLoad(w -> w.loads++)
            .build();

    static final StateDescription<Widget> V1 = StateDescription.of("widget", Widget.class, 1)
            .u32("ctrl", w -> w.control, (w, v) -> w.control = v)
            .bytes("fifo", w -> w.fifo, (w, v) -> w.fifo = v)
            .longs("priorities", w -> w.priorities)
            .records("queues", QUEUE, w -> w.queues)
            .build();

    private static Widget busy() {
        Widget w = new Widget();
        w.control = 0x8000_0001L;
        w.enabled = false;
        w.fifo = new byte[]{1, 2, 3};
        w.priorities[2] = 7;
        w.queues.get(1).lastAvail = 42;
        return w;
    }

    @Test void aFreshObjectTakesTheSavedStateAndSavesTheSameAgain() {
        Widget a = busy();
        StateRecord saved = V2.save(a);
        Widget b = new Widget();
        V2.restore(b, saved);
        assertEquals(saved, V2.save(b), () -> saved.difference(V2.save(b)));
        assertEquals(0x8000_0001L, b.control);
        assertFalse(b.enabled);
        assertArrayEquals(new byte[]{1, 2, 3}, b.fifo);
        assertEquals(7, b.priorities[2]);
        assertEquals(42, b.queues.get(1).lastAvail);
        assertEquals(1, b.loads, "afterLoad runs once");
    }

    @Test void aSubsectionIsSavedOnlyWhenNeededAndAbsentLeavesItsFieldsAlone() {
        Widget a = busy();
        assertFalse(V2.save(a).has("subsection widget/extension"));
        a.extension = 99;
        StateRecord withExtension = V2.save(a);
        assertTrue(withExtension.has("subsection widget/extension"));
        Widget b = new Widget();
        V2.restore(b, withExtension);
        assertEquals(99, b.extension);
        Widget c = new Widget();
        c.extension = 5;
        V2.restore(c, V2.save(busy()));
        assertEquals(5, c.extension, "a state without the subsection leaves its fields as they were");
    }

    @Test void anOlderVersionIsMigratedStepByStep() {
        StateRecord old = V1.save(busy());
        assertEquals(1, old.version());
        Widget b = new Widget();
        V2.restore(b, old);
        assertEquals(0x8000_0001L, b.control, "ctrl became control");
        assertTrue(b.enabled, "version 1 devices were enabled");
        assertEquals(1, old.version(), "the saved record itself is left as it was");
        assertTrue(old.has("ctrl"));
        assertEquals(1, V2.minimumVersion());
    }

    @Test void aNewerVersionOrAMissingFieldIsRefusedAndChangesNothing() {
        Widget b = busy();
        StateRecord newer = V2.save(new Widget());
        StateRecord v3 = new StateRecord("widget", 3);
        newer.values().forEach(v3::put);
        String e = assertThrows(StateException.class, () -> V2.restore(b, v3)).getMessage();
        assertTrue(e.contains("version 3") && e.contains("versions 1 to 2"), e);

        StateRecord missing = V2.save(new Widget()).remove("fifo");
        e = assertThrows(StateException.class, () -> V2.restore(b, missing)).getMessage();
        assertTrue(e.contains("no field 'fifo'"), e);

        StateRecord tooWide = V2.save(new Widget()).put("control", 1L << 40);
        e = assertThrows(StateException.class, () -> V2.restore(b, tooWide)).getMessage();
        assertTrue(e.contains("'control'") && e.contains("uint32"), e);

        StateRecord badQueue = V2.save(new Widget());
        List<StateRecord> queues = new ArrayList<>((List<StateRecord>) (List<?>) badQueue.get("queues"));
        queues.set(1, new StateRecord("queue", 1).put("last-avail", 1L << 20));
        badQueue.put("queues", queues);
        e = assertThrows(StateException.class, () -> V2.restore(b, badQueue)).getMessage();
        assertTrue(e.contains("[1]") && e.contains("uint16"), e);

        StateRecord unknown = V2.save(new Widget()).put("turbo", true);
        e = assertThrows(StateException.class, () -> V2.restore(b, unknown)).getMessage();
        assertTrue(e.contains("'turbo'"), e);

        assertEquals(V2.save(busy()), V2.save(b), "every refusal left the object as it was");
        assertEquals(0, b.loads);
    }

    @Test void theBinaryFormRoundTripsAndADamagedStreamIsAClearError() throws IOException {
        Widget a = busy();
        a.extension = 3;
        StateRecord saved = V2.save(a);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        saved.writeTo(new DataOutputStream(bytes));
        StateRecord read = StateRecord.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertNull(saved.difference(read));
        assertEquals(saved, read);

        byte[] damaged = bytes.toByteArray().clone();
        int tag = damaged.length - 9;   // the last value's tag (a long follows it)
        damaged[tag] = 99;
        StateException e = assertThrows(StateException.class,
                () -> StateRecord.readFrom(new DataInputStream(new ByteArrayInputStream(damaged))));
        assertTrue(e.getMessage().contains("damaged"), e.getMessage());
    }

    @Test void theDescriptionSaysWhatIsSaved() {
        var d = V2.describe();
        assertEquals("widget", d.path("name").asText());
        assertEquals(2, d.path("version").asInt());
        assertEquals(1, d.path("minimum-version").asInt());
        assertEquals("control", d.path("fields").get(0).path("name").asText());
        assertEquals("uint32", d.path("fields").get(0).path("type").asText());
        assertEquals("list of record queue", d.path("fields").get(4).path("type").asText());
        assertEquals("widget/extension", d.path("subsections").get(0).path("name").asText());
    }
}
