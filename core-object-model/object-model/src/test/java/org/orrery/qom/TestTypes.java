package org.orrery.qom;

import org.orrery.qom.internal.TypeRegistryImpl;

import java.util.List;

/** A small type hierarchy used by the object-model tests. */
final class TestTypes {
    static final Property<Boolean> ENABLED = Property.of("enabled", PropertyTypes.BOOL).defaultValue(true).settable(Settable.ALWAYS);
    static final Property<Long> SMALL = Property.of("small", PropertyTypes.INT8);
    static final Property<Long> COUNT = Property.of("count", PropertyTypes.UINT16).defaultValue(3L);
    static final Property<Long> BIG = Property.of("big", PropertyTypes.UINT64);
    static final Property<Long> SIZE = Property.of("size", PropertyTypes.SIZE).required();
    static final Property<String> LABEL = Property.of("label", PropertyTypes.STR).settable(Settable.ALWAYS);
    static final Property<String> MODE = Property.of("mode", PropertyTypes.enumOf("Mode", "fast", "slow")).defaultValue("fast");
    static final Property<List<Long>> LANES = Property.of("lanes", PropertyTypes.listOf(PropertyTypes.UINT8));
    static final Property<Widget> PEER = Property.of("peer", PropertyTypes.link("widget", Widget.class, "/objects"));
    static final Property<String> SERIAL = Property.of("serial", PropertyTypes.STR).computed((Widget w) -> "W-" + w.name());

    static class Widget extends QObject {
        int realizeCount;
        int unrealizeCount;
        boolean failRealize;

        @Override protected void onRealize() {
            if (failRealize) throw new QomException("widget refuses");
            realizeCount++;
        }

        @Override protected void onUnrealize() { unrealizeCount++; }
    }

    static class Gadget extends Widget { }

    static TypeRegistryImpl registry() {
        TypeRegistryImpl r = new TypeRegistryImpl();
        r.add("widget", TypeDescription.named("widget").parent("object").implementing("user-creatable")
                .properties(ENABLED, SMALL, COUNT, BIG, SIZE, LABEL, MODE, LANES, PEER, SERIAL).creates(Widget::new), "test");
        r.add("gadget", TypeDescription.named("gadget").parent("widget").creates(Gadget::new), "test");
        r.add("thing", TypeDescription.named("thing").parent("object").abstractType(), "test");
        return r;
    }

    private TestTypes() { }
}
