package org.orrery.dbus.internal;

import org.orrery.command.Member;

import java.util.Collection;
import java.util.List;

/** Introspection XML, generated from the schema (methods, signals) and the live tree (objects, properties). */
final class Introspection {
    static final String DOCTYPE = "<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n"
            + " \"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n";
    static final String DOC = "org.gtk.GDBus.DocString";

    private Introspection() { }

    static String machineInterface(Collection<MachineInterface.Method> methods, Collection<MachineInterface.Signal> signals, DbusTypes types) {
        StringBuilder x = new StringBuilder();
        x.append("  <interface name=\"").append(Names.MACHINE_IFACE).append("\">\n");
        doc(x, "    ", "The machine's control interface, generated from the command layer's schema: one method per command "
                + "(CamelCased), mandatory arguments typed in schema order, optional ones in a trailing a{sv} named 'options'; "
                + "one signal per event. Errors are org.orrery.Error.<QMP error class> with QMP's description.");
        for (MachineInterface.Method m : methods) {
            x.append("    <method name=\"").append(m.name()).append("\">\n");
            doc(x, "      ", (m.command().doc() == null ? "" : m.command().doc()) + " (QMP command '" + m.command().name() + "')");
            for (Member a : m.arguments()) arg(x, a.name(), types.signature(a.type()), "in", a.doc());
            if (m.options()) arg(x, "options", DbusTypes.DICT, "in", optionsDoc(m.optional(), m.command().extraArguments(), types));
            if (!m.outSignature().isEmpty()) arg(x, "result", m.outSignature(), "out", "the command's result (" + m.command().returns() + ")");
            x.append("    </method>\n");
        }
        for (MachineInterface.Signal s : signals) {
            x.append("    <signal name=\"").append(s.name()).append("\">\n");
            doc(x, "      ", (s.event().doc() == null ? "" : s.event().doc()) + " (QMP event " + s.event().name() + ")");
            for (Member a : s.arguments()) arg(x, a.name(), types.signature(a.type()), null, a.doc());
            if (s.options()) arg(x, "options", DbusTypes.DICT, null, optionsDoc(s.optional(), false, types));
            x.append("    </signal>\n");
        }
        x.append("  </interface>\n");
        return x.toString();
    }

    private static String optionsDoc(List<Member> optional, boolean extra, DbusTypes types) {
        StringBuilder d = new StringBuilder("optional members, by their schema names:");
        for (Member m : optional) {
            d.append(' ').append(m.name()).append(" (").append(types.signature(m.type())).append(')');
            if (m.doc() != null) d.append(": ").append(m.doc());
            d.append(';');
        }
        if (extra) d.append(" further members are passed on as the command's extra arguments (properties).");
        return d.toString();
    }

    private static void arg(StringBuilder x, String name, String sig, String direction, String doc) {
        x.append("      <arg name=\"").append(attr(Names.argName(name))).append("\" type=\"").append(sig).append('"');
        if (direction != null) x.append(" direction=\"").append(direction).append('"');
        if (doc == null) { x.append("/>\n"); return; }
        x.append(">\n");
        doc(x, "        ", doc);
        x.append("      </arg>\n");
    }

    static void doc(StringBuilder x, String indent, String text) {
        if (text == null || text.isBlank()) return;
        x.append(indent).append("<annotation name=\"").append(DOC).append("\" value=\"").append(attr(text.strip())).append("\"/>\n");
    }

    static String attr(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\n' -> out.append("&#10;");
                default -> { if (c >= 0x20 || c == '\t') out.append(c); }
            }
        }
        return out.toString();
    }

    /** A property of {@code org.orrery.Object1} on one object. */
    record Prop(String name, String signature, boolean writable, String doc) { }

    static String objectInterface(List<Prop> props) {
        StringBuilder x = new StringBuilder();
        x.append("  <interface name=\"").append(Names.OBJECT_IFACE).append("\">\n");
        doc(x, "    ", "An object of the machine's object tree, at /org/orrery/objects + its canonical path (each byte "
                + "outside [A-Za-z0-9] of a path element escaped as _ and two lowercase hex digits). Its D-Bus properties are "
                + "the object's properties, CamelCased (ram-size is RamSize); Get and Set go through qom-get and qom-set, so "
                + "windows and type checks give the same errors. Children are sub-objects, not properties.");
        for (Prop p : props) {
            x.append("    <property name=\"").append(p.name()).append("\" type=\"").append(p.signature())
                    .append("\" access=\"").append(p.writable() ? "readwrite" : "read").append('"');
            if (p.doc() == null || p.doc().isBlank()) { x.append("/>\n"); continue; }
            x.append(">\n");
            doc(x, "      ", p.doc());
            x.append("    </property>\n");
        }
        x.append("  </interface>\n");
        return x.toString();
    }

    static final String STANDARD = """
              <interface name="org.freedesktop.DBus.Introspectable">
                <method name="Introspect">
                  <arg name="xml_data" type="s" direction="out"/>
                </method>
              </interface>
              <interface name="org.freedesktop.DBus.Peer">
                <method name="Ping"/>
                <method name="GetMachineId">
                  <arg name="machine_uuid" type="s" direction="out"/>
                </method>
              </interface>
            """;

    static final String PROPERTIES = """
              <interface name="org.freedesktop.DBus.Properties">
                <method name="Get">
                  <arg name="interface_name" type="s" direction="in"/>
                  <arg name="property_name" type="s" direction="in"/>
                  <arg name="value" type="v" direction="out"/>
                </method>
                <method name="GetAll">
                  <arg name="interface_name" type="s" direction="in"/>
                  <arg name="properties" type="a{sv}" direction="out"/>
                </method>
                <method name="Set">
                  <arg name="interface_name" type="s" direction="in"/>
                  <arg name="property_name" type="s" direction="in"/>
                  <arg name="value" type="v" direction="in"/>
                </method>
                <signal name="PropertiesChanged">
                  <arg name="interface_name" type="s"/>
                  <arg name="changed_properties" type="a{sv}"/>
                  <arg name="invalidated_properties" type="as"/>
                </signal>
              </interface>
            """;

    static final String OBJECT_MANAGER = """
              <interface name="org.freedesktop.DBus.ObjectManager">
                <method name="GetManagedObjects">
                  <arg name="object_paths_interfaces_and_properties" type="a{oa{sa{sv}}}" direction="out"/>
                </method>
                <signal name="InterfacesAdded">
                  <arg name="object_path" type="o"/>
                  <arg name="interfaces_and_properties" type="a{sa{sv}}"/>
                </signal>
                <signal name="InterfacesRemoved">
                  <arg name="object_path" type="o"/>
                  <arg name="interfaces" type="as"/>
                </signal>
              </interface>
            """;

    /** A whole node document: its interfaces and its child nodes. */
    static String node(String interfaces, Collection<String> children) {
        StringBuilder x = new StringBuilder(DOCTYPE).append("<node>\n").append(interfaces);
        for (String c : children) x.append("  <node name=\"").append(attr(c)).append("\"/>\n");
        return x.append("</node>\n").toString();
    }
}
