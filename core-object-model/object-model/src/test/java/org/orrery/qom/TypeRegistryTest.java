package org.orrery.qom;

import org.junit.jupiter.api.Test;
import org.orrery.qom.internal.TypeRegistryImpl;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TypeRegistryTest {
    @Test void listsFilterByImplementsAndAbstract() {
        TypeRegistryImpl r = TestTypes.registry();
        List<String> concrete = r.list(null, false).stream().map(ObjectType::name).toList();
        assertTrue(concrete.containsAll(List.of("widget", "gadget", "container")));
        assertFalse(concrete.contains("thing"));
        assertTrue(r.list(null, true).stream().anyMatch(t -> t.name().equals("thing")));
        assertEquals(List.of("gadget", "widget"), r.list("user-creatable", false).stream().map(ObjectType::name).toList());
        assertEquals(List.of("gadget"), r.list("gadget", true).stream().map(ObjectType::name).toList());
        ObjectType g = r.require("gadget");
        assertTrue(g.isA("widget") && g.isA("object") && g.isA("user-creatable"));
        assertTrue(g.properties().containsKey("size"), "inherited properties are visible before any instance");
        assertEquals("test", g.provider());
    }

    @Test void aTypeWithoutItsParentIsUnavailableAndSaysWhy() {
        TypeRegistryImpl r = new TypeRegistryImpl();
        r.add("orphan", TypeDescription.named("orphan").parent("missing-parent").creates(QObject::new), "b1");
        assertTrue(r.find("orphan").isEmpty());
        String why = r.unavailable().get("orphan");
        assertTrue(why.contains("missing-parent") && why.contains("no installed bundle"), why);
        QomException e = assertThrows(QomException.class, () -> r.require("orphan"));
        assertTrue(e.getMessage().contains("not available"), e.getMessage());
        Object parentKey = new Object();
        r.add(parentKey, TypeDescription.named("missing-parent").creates(QObject::new), "b2");
        assertTrue(r.find("orphan").isPresent(), "the type becomes available when its parent arrives");
        r.remove(parentKey);
        assertTrue(r.find("orphan").isEmpty());
    }

    /**
     * While the container still starts the bundles that may bring types (through a {@link ContainerStart} with the
     * launcher's marker), a type not known yet and a listing ask for that start and wait for it; a known type does
     * not wait, and the marker is what asks.
     */
    @Test void whileTypeBundlesStartAnUnknownTypeAndTheListingsWaitForThemButKnownTypesDoNot() throws Exception {
        TypeRegistryImpl r = TestTypes.registry();
        ContainerStart start = new ContainerStart();
        r.setStartupWait(start::await);
        java.util.concurrent.CountDownLatch asked = new java.util.concurrent.CountDownLatch(1);
        Runnable marker = asked::countDown;
        start.markerAdded(marker);
        assertEquals("widget", r.require("widget").name(), "a known type is answered at once");
        assertEquals(1, asked.getCount(), "without asking for the rest");
        var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            var late = pool.submit(() -> r.find("late-device"));
            var listing = pool.submit(() -> r.list(null, false).stream().map(ObjectType::name).toList());
            assertTrue(asked.await(10, java.util.concurrent.TimeUnit.SECONDS), "the lookup asked for the rest of the start");
            Thread.sleep(100);
            assertFalse(late.isDone() || listing.isDone(), "both wait while the start is pending");
            r.add("late", TypeDescription.named("late-device").creates(QObject::new), "a bundle started on demand");
            start.markerRemoved(marker);
            assertTrue(late.get(10, java.util.concurrent.TimeUnit.SECONDS).isPresent());
            assertTrue(listing.get(10, java.util.concurrent.TimeUnit.SECONDS).contains("late-device"), "the fully started container's list");
        } finally {
            pool.shutdownNow();
        }
        assertTrue(r.find("no-such").isEmpty(), "once started, an unknown type is unknown at once");
    }

    @Test void duplicatesAreRefusedWithTheProvider() {
        TypeRegistryImpl r = TestTypes.registry();
        r.add("dup", TypeDescription.named("widget").creates(QObject::new), "other-bundle");
        assertEquals("test", r.require("widget").provider());
        assertTrue(r.unavailable().keySet().stream().anyMatch(k -> k.contains("other-bundle")));
    }

    @Test void removalIsAnnouncedBeforeTheTypeGoesAndRemovesInstances() {
        TypeRegistryImpl r = TestTypes.registry();
        ObjectTree tree = new ObjectTree(r, SafePoint.inline());
        List<Event> events = new ArrayList<>();
        tree.events().subscribe(events::add);
        Object key = new Object();
        r.add(key, TypeDescription.named("plug").parent("widget").creates(TestTypes.Widget::new), "plug-bundle");
        QObject plug = tree.create("plug");
        plug.set(TestTypes.SIZE, 1L);
        tree.container("/objects").addChild("p", plug);
        plug.realize();
        TestTypes.Widget user = (TestTypes.Widget) tree.create("widget");
        tree.container("/objects").addChild("user", user);
        user.setProperty("peer", Value.ofText("peer", "p"));
        List<Set<String>> removing = new ArrayList<>();
        r.addListener(new TypeRegistry.Listener() {
            @Override public void typesRemoving(Set<String> names) {
                removing.add(names);
                assertTrue(r.find("plug").isPresent(), "still known while listeners run");
            }
        });
        r.remove(key);
        assertEquals(List.of(Set.of("plug")), removing);
        assertTrue(r.find("plug").isEmpty());
        assertNull(tree.resolve("/objects/p"));
        assertEquals(Lifecycle.FINALIZED, plug.state());
        assertNull(user.get(TestTypes.PEER), "links to the removed instance are cleared");
        assertEquals("OBJECT_DELETED", events.get(0).name());
        assertEquals("/objects/p", events.get(0).data().get("path").textValue());
        r.add(new Object(), TypeDescription.named("plug").parent("widget").creates(TestTypes.Widget::new), "plug-bundle");
        assertTrue(r.find("plug").isPresent(), "the type is back with its bundle");
    }

    /** A deriver in the spirit of virtio-pci's: "foo-plug" for every widget subtype "foo". */
    static final TypeDeriver PLUGS = source -> source.isA("widget") && !source.isAbstract()
            ? TypeDescription.named(source.name() + "-plug").parent("widget").creates(TestTypes.Widget::new) : null;

    @Test void derivedTypesLiveExactlyAsLongAsTheirSourceAndKeepTheirIdentity() {
        TypeRegistryImpl r = TestTypes.registry();
        ObjectTree tree = new ObjectTree(r, SafePoint.inline());
        List<Set<String>> removing = new ArrayList<>();
        r.addListener(new TypeRegistry.Listener() {
            @Override public void typesRemoving(Set<String> names) { removing.add(names); }
        });
        Object deriver = new Object();
        r.addDeriver(deriver, PLUGS, "plugs-bundle");
        assertTrue(r.find("widget-plug").isPresent() && r.find("gadget-plug").isPresent());
        assertTrue(r.find("widget-plug-plug").isEmpty(), "nothing is derived from a derived type");
        assertEquals("plugs-bundle", r.require("gadget-plug").provider());
        ObjectType before = r.require("gadget-plug");
        QObject p = tree.create("gadget-plug");
        p.set(TestTypes.SIZE, 1L);
        tree.container("/objects").addChild("p", p);
        // an unrelated change keeps the derived type (and so its instances)
        r.add("other", TypeDescription.named("other").creates(QObject::new), "other-bundle");
        assertEquals(before, r.require("gadget-plug"));
        assertTrue(removing.isEmpty(), removing.toString());
        assertEquals(p, tree.resolve("/objects/p"));
        // a new source type gets its derived type
        Object gizmo = new Object();
        r.add(gizmo, TypeDescription.named("gizmo").parent("widget").creates(TestTypes.Widget::new), "gizmo-bundle");
        assertTrue(r.find("gizmo-plug").isPresent());
        // the source goes: the derived type goes in the same step
        r.remove(gizmo);
        assertEquals(List.of(Set.of("gizmo", "gizmo-plug")), removing);
        assertTrue(r.find("gizmo-plug").isEmpty());
        // the deriver goes: every derived type and its instances go
        r.remove(deriver);
        assertTrue(r.find("gadget-plug").isEmpty() && r.find("widget-plug").isEmpty());
        assertNull(tree.resolve("/objects/p"));
        assertTrue(r.find("gadget").isPresent(), "the sources stay");
    }

    @Test void aDerivedNameThatIsTakenIsUnavailableAndSaysWhy() {
        TypeRegistryImpl r = TestTypes.registry();
        r.add("taken", TypeDescription.named("gadget-plug").creates(QObject::new), "first");
        r.addDeriver(new Object(), PLUGS, "plugs-bundle");
        assertEquals("first", r.require("gadget-plug").provider());
        assertTrue(r.unavailable().get("gadget-plug (derived by plugs-bundle)").contains("already provided by first"));
    }
}
