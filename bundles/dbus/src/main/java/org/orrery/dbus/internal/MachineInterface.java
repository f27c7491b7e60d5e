package org.orrery.dbus.internal;

import org.orrery.command.Member;
import org.orrery.command.SchemaEntity;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * The {@code org.orrery.Machine1} interface as the schema defines it at one moment: a method per command,
 * a signal per event, and its introspection XML. Immutable; rebuilt whenever commands come or go.
 */
final class MachineInterface {
    private static final Logger LOG = Logger.getLogger(MachineInterface.class.getName());

    /** A command as a method: its mandatory members as typed arguments, the rest in a trailing a{sv}. */
    record Method(String name, SchemaEntity.Command command, List<Member> arguments, List<Member> optional,
                  boolean options, String inSignature, String outSignature) { }

    /** An event as a signal, shaped as methods are. */
    record Signal(String name, SchemaEntity.Event event, List<Member> arguments, List<Member> optional,
                  boolean options, String signature) { }

    private final Map<String, Method> methods;
    private final Map<String, Signal> signalsByEvent;
    private final String xml;

    private MachineInterface(Map<String, Method> methods, Map<String, Signal> signalsByEvent, String xml) {
        this.methods = methods;
        this.signalsByEvent = signalsByEvent;
        this.xml = xml;
    }

    static MachineInterface of(SchemaView layer) {
        DbusTypes types = new DbusTypes(layer);
        Map<String, Method> methods = new LinkedHashMap<>();
        for (SchemaEntity.Command c : layer.commands()) {
            List<Member> all = types.members(c.arguments());
            List<Member> mandatory = new ArrayList<>(), optional = new ArrayList<>();
            for (Member m : all) (m.optional() ? optional : mandatory).add(m);
            boolean options = !optional.isEmpty() || c.extraArguments();
            StringBuilder in = new StringBuilder();
            for (Member m : mandatory) in.append(types.signature(m.type()));
            if (options) in.append(DbusTypes.DICT);
            String name = Names.camel(c.name());
            Method prior = methods.putIfAbsent(name, new Method(name, c, List.copyOf(mandatory), List.copyOf(optional), options,
                    in.toString(), c.returns() == null ? "" : types.signature(c.returns())));
            if (prior != null) LOG.warning("D-Bus: command " + c.name() + " maps to method " + name + ", which " + prior.command().name() + " already has");
        }
        Map<String, Signal> signals = new LinkedHashMap<>();
        for (SchemaEntity.Event e : layer.events()) {
            List<Member> mandatory = new ArrayList<>(), optional = new ArrayList<>();
            for (Member m : types.members(e.data())) (m.optional() ? optional : mandatory).add(m);
            StringBuilder sig = new StringBuilder();
            for (Member m : mandatory) sig.append(types.signature(m.type()));
            if (!optional.isEmpty()) sig.append(DbusTypes.DICT);
            signals.put(e.name(), new Signal(Names.camel(e.name()), e, List.copyOf(mandatory), List.copyOf(optional),
                    !optional.isEmpty(), sig.toString()));
        }
        String xml = Introspection.machineInterface(methods.values(), signals.values(), types);
        return new MachineInterface(Collections.unmodifiableMap(methods), Collections.unmodifiableMap(signals), xml);
    }

    Method method(String name) { return methods.get(name); }
    Map<String, Method> methods() { return methods; }
    Signal signalFor(String event) { return signalsByEvent.get(event); }
    Map<String, Signal> signals() { return signalsByEvent; }
    /** The {@code <interface>} element. */
    String xml() { return xml; }
}
