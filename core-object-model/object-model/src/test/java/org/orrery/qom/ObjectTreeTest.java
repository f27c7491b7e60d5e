package org.orrery.qom;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.orrery.qom.TestTypes.Widget;
import org.orrery.qom.internal.TypeRegistryImpl;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ObjectTreeTest {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private TypeRegistryImpl registry;
    private ObjectTree tree;
    private final List<Event> events = new ArrayList<>();

    @BeforeEach void setUp() {
        registry = TestTypes.registry();
        tree = new ObjectTree(registry, SafePoint.inline());
        tree.events().subscribe(events::add);
    }

    private Widget widget(String id) {
        Widget w = (Widget) tree.create("widget");
        w.setProperty("size", Value.ofText("size", "1M"));
        tree.container("/objects").addChild(id, w);
        return w;
    }

    @Test void pathsAreCanonicalAndResolveAbsoluteOrPartial() {
        Widget w = widget("w0");
        assertEquals("/objects/w0", w.path());
        assertSame(w, tree.resolve("/objects/w0"));
        assertSame(w, tree.resolve("w0"));
        assertSame(w, tree.resolve("objects/w0"));
        assertSame(tree.root(), tree.resolve("/"));
        assertNull(tree.resolve("/objects/none"));
        assertNull(tree.resolve("none"));
        tree.container("/machine/peripheral").addChild("w0", tree.create("gadget"));
        QomException e = assertThrows(QomException.class, () -> tree.resolve("w0"));
        assertEquals("Path 'w0' is ambiguous", e.getMessage());
        assertSame(w, tree.resolve("objects/w0"));
        assertEquals(ErrorClass.DeviceNotFound, assertThrows(QomException.class, () -> tree.require("/nope")).errorClass());
    }

    @Test void idsAreUniquePerParent() {
        widget("w0");
        QomException e = assertThrows(QomException.class, () -> widget("w0"));
        assertTrue(e.getMessage().startsWith("Duplicate ID 'w0'"), e.getMessage());
        assertThrows(QomException.class, () -> tree.container("/objects").addChild("a/b", tree.create("widget")));
    }

    @Test void propertiesHaveDefaultsTypesAndWindows() {
        Widget w = widget("w0");
        assertEquals(3L, w.get(TestTypes.COUNT));
        assertEquals("fast", w.getProperty("mode").textValue());
        assertEquals("W-w0", w.getProperty("serial").textValue());
        assertEquals("widget", w.getProperty("type").textValue());
        w.setProperty("count", Value.ofJson("count", F.numberNode(9)));
        assertEquals(9L, w.get(TestTypes.COUNT));
        assertThrows(QomException.class, () -> w.setProperty("count", Value.ofJson("count", F.numberNode(70000))));
        assertThrows(QomException.class, () -> w.setProperty("count", Value.ofJson("count", F.textNode("x"))));
        assertEquals("Property 'widget.serial' is not writable",
                assertThrows(QomException.class, () -> w.setProperty("serial", Value.ofText("serial", "x"))).getMessage());
        assertEquals("Property 'widget.nope' not found",
                assertThrows(QomException.class, () -> w.setProperty("nope", Value.ofText("nope", "x"))).getMessage());
        w.realize();
        QomException late = assertThrows(QomException.class, () -> w.setProperty("count", Value.ofJson("count", F.numberNode(1))));
        assertTrue(late.getMessage().contains("after it was realized"), late.getMessage());
        assertEquals(9L, w.get(TestTypes.COUNT), "a refused write changes nothing");
        w.setProperty("label", Value.ofText("label", "x"));
        w.setProperty("enabled", Value.ofText("enabled", "off"));
        assertEquals(false, w.get(TestTypes.ENABLED));
    }

    @Test void listPropertiesShowsTypeClassPropertiesAndChildren() {
        Widget w = widget("w0");
        w.addChild("inner", tree.create("gadget"));
        List<String> names = new ArrayList<>();
        List<String> types = new ArrayList<>();
        for (PropertyInfo i : w.listProperties()) { names.add(i.name()); types.add(i.type()); }
        assertEquals("type", names.get(0));
        assertTrue(names.containsAll(List.of("enabled", "small", "count", "big", "size", "label", "mode", "lanes", "peer", "serial", "inner")));
        assertTrue(types.contains("link<widget>"));
        assertTrue(types.contains("child<gadget>"));
        assertEquals("/objects/w0/inner", w.getProperty("inner").textValue());
    }

    @Test void linksAreTypeCheckedAndBlockDeletion() {
        Widget a = widget("a");
        Widget b = widget("b");
        tree.container("/other").addChild("c", tree.create("container"));
        b.setProperty("peer", Value.ofText("peer", "a"));
        assertSame(a, b.get(TestTypes.PEER));
        assertEquals("/objects/a", b.getProperty("peer").textValue());
        QomException wrongType = assertThrows(QomException.class, () -> b.setProperty("peer", Value.ofText("peer", "/other/c")));
        assertTrue(wrongType.getMessage().contains("expected: widget"), wrongType.getMessage());
        assertEquals(ErrorClass.DeviceNotFound, assertThrows(QomException.class, () -> b.setProperty("peer", Value.ofText("peer", "zz"))).errorClass());
        QomException inUse = assertThrows(QomException.class, () -> tree.delete(a, false));
        assertTrue(inUse.getMessage().contains("/objects/b.peer"), inUse.getMessage());
        assertNotNull(tree.resolve("/objects/a"));
        tree.delete(a, true);
        assertNull(b.get(TestTypes.PEER), "a forced delete clears the link");
    }

    @Test void lifecycleErrorsArePrecise() {
        Widget w = (Widget) tree.create("widget");
        QomException missing = assertThrows(QomException.class, w::realize);
        assertTrue(missing.getMessage().contains("'size' is required"), missing.getMessage());
        w.set(TestTypes.SIZE, 4096L);
        tree.container("/objects").addChild("w", w);
        w.realize();
        assertEquals(1, w.realizeCount);
        assertTrue(assertThrows(QomException.class, w::realize).getMessage().contains("already realized"));
        tree.delete(w, false);
        assertEquals(1, w.unrealizeCount);
        assertEquals(Lifecycle.FINALIZED, w.state());
        assertThrows(QomException.class, w::realize);
        assertThrows(QomException.class, () -> tree.create("thing"), "abstract");
        assertEquals("Invalid object type 'nope'", assertThrows(QomException.class, () -> tree.create("nope")).getMessage());
        assertThrows(QomException.class, () -> tree.delete(tree.root(), true));
    }

    @Test void deletionEmitsEventsForUserObjects() {
        widget("w0");
        tree.delete(tree.resolve("/objects/w0"), false);
        assertEquals(1, events.size());
        assertEquals("OBJECT_DELETED", events.get(0).name());
        assertEquals("w0", events.get(0).data().get("id").textValue());
        assertEquals("/objects/w0", events.get(0).data().get("path").textValue());
    }

    @Test void twoTreesShareTypesButNotObjects() {
        ObjectTree other = new ObjectTree(registry, SafePoint.inline());
        widget("w0");
        assertNull(other.resolve("/objects/w0"));
        Widget foreign = (Widget) other.create("widget");
        assertThrows(QomException.class, () -> tree.container("/objects").addChild("x", foreign));
    }

    @Test void globalsAreDefaultsForTheTypeAndItsSubtypesFromNowOn() {
        Widget before = (Widget) tree.create("widget");
        tree.globals().add(new GlobalProperties.Global("widget", "count", "0x10"));
        tree.globals().add(new GlobalProperties.Global("gadget", "mode", "slow"));
        Widget w = (Widget) tree.create("widget");
        Widget g = (Widget) tree.create("gadget");
        assertEquals(3L, before.get(TestTypes.COUNT), "made before the global: untouched");
        assertEquals(16L, w.get(TestTypes.COUNT), "text dialect, as on the command line");
        assertEquals("fast", w.get(TestTypes.MODE), "a subtype's global does not reach its parent type");
        assertEquals(16L, g.get(TestTypes.COUNT));
        assertEquals("slow", g.get(TestTypes.MODE));
        // a property set by its creator afterwards wins over the default
        g.setProperty("count", Value.ofText("count", "5"));
        assertEquals(5L, g.get(TestTypes.COUNT));
    }

    @Test void aGlobalThatDoesNotFitFailsTheCreationWithQemusMessage() {
        tree.globals().add(new GlobalProperties.Global("widget", "nosuch", "1"));
        QomException e = assertThrows(QomException.class, () -> tree.create("gadget"));
        assertEquals("can't apply global widget.nosuch=1: Property 'gadget.nosuch' not found", e.getMessage());
        ObjectTree t2 = new ObjectTree(TestTypes.registry(), SafePoint.inline());
        t2.globals().add(new GlobalProperties.Global("widget", "enabled", "maybe"));
        assertEquals("can't apply global widget.enabled=maybe: Parameter 'enabled' expects 'on' or 'off'",
                assertThrows(QomException.class, () -> t2.create("widget")).getMessage());
        t2.globals().add(new GlobalProperties.Global("no-such-type", "x", "1"));
        assertEquals(List.of(new GlobalProperties.Global("no-such-type", "x", "1")), t2.globals().unknownTypes(t2.registry()));
    }

    @Test void objectsKnowTheOrderTheyWereCreatedIn() {
        QObject a = tree.create("widget"), b = tree.create("gadget");
        assertTrue(a.creationSerial() < b.creationSerial());
    }
}
