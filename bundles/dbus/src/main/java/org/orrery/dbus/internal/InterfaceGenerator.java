package org.orrery.dbus.internal;


import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The build-time generator of the files a distribution installs beside the emulator, as libvirt-dbus
 * ships them: {@code interfaces/org.orrery.Machine1.xml}, {@code interfaces/org.orrery.Object1.xml} and
 * {@code system.d/org.orrery.conf}.
 *
 * <pre>java -cp ... org.orrery.dbus.internal.InterfaceGenerator OUTDIR [JAR-OR-DIR ...]</pre>
 * Every {@code schema.json} inside the given jars and directories (by default: the class path) is loaded
 * as a command module's schema, so a distribution passes all of its bundles to describe all of its commands.
 */
public final class InterfaceGenerator {
    private InterfaceGenerator() { }

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: InterfaceGenerator OUTDIR [JAR-OR-DIR ...]");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        List<String> sources = new ArrayList<>();
        for (int i = 1; i < args.length; i++) if (!args[i].isBlank() && !args[i].startsWith("${")) sources.add(args[i]);
        if (sources.isEmpty()) sources.addAll(List.of(System.getProperty("java.class.path").split(File.pathSeparator)));
        SchemaOnlyLayer layer = new SchemaOnlyLayer();
        int n = 0;
        for (String source : sources) {
            for (Map.Entry<String, String> schema : schemas(Path.of(source)).entrySet()) {
                layer.add(schema.getValue(), schema.getKey());
                n++;
            }
        }
        write(out, layer);
        System.out.println("D-Bus interfaces from " + n + " schema files (" + layer.commands().size() + " methods, "
                + layer.events().size() + " signals) written to " + out);
    }

    static void write(Path out, SchemaView layer) throws IOException {
        Files.createDirectories(out.resolve("interfaces"));
        Files.createDirectories(out.resolve("system.d"));
        MachineInterface machine = MachineInterface.of(layer);
        Files.writeString(out.resolve("interfaces/" + Names.MACHINE_IFACE + ".xml"),
                Introspection.DOCTYPE + "<node name=\"" + Names.MACHINE_PATH + "\">\n" + machine.xml() + "</node>\n");
        Files.writeString(out.resolve("interfaces/" + Names.OBJECT_IFACE + ".xml"),
                Introspection.DOCTYPE + "<node>\n" + Introspection.objectInterface(List.of(
                        new Introspection.Prop("Type", "s", false, "the object's QOM type"),
                        new Introspection.Prop("Path", "s", false, "the object's canonical QOM path"))) + "</node>\n");
        Files.writeString(out.resolve("system.d/org.orrery.conf"), POLICY);
    }

    /** Only root may own an org.orrery name or talk to it; everyone may still introspect (as libvirt-dbus allows). */
    static final String POLICY = """
            <?xml version="1.0"?>
            <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
             "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
            <!-- Orrery's D-Bus front-end on the system bus (-dbus name=org.orrery...,addr=system):
                 only root may own the name or call its methods. -->
            <busconfig>
              <policy user="root">
                <allow own_prefix="org.orrery"/>
                <allow send_destination_prefix="org.orrery"/>
              </policy>
              <policy context="default">
                <deny own_prefix="org.orrery"/>
                <deny send_destination_prefix="org.orrery"/>
                <allow send_destination_prefix="org.orrery" send_interface="org.freedesktop.DBus.Introspectable"/>
              </policy>
            </busconfig>
            """;

    /** Command modules' schema files, and the command layer's shared types. */
    private static boolean isSchema(String fileName) { return fileName.equals("schema.json") || fileName.equals("common-types.json"); }

    /** Every schema.json under a directory or inside a jar, by its path. */
    private static Map<String, String> schemas(Path source) throws IOException {
        Map<String, String> out = new java.util.TreeMap<>();
        if (Files.isDirectory(source)) {
            try (Stream<Path> s = Files.walk(source)) {
                for (Path p : s.filter(p -> isSchema(p.getFileName().toString())).toList())
                    out.put(source.relativize(p).toString(), Files.readString(p));
            }
        } else if (Files.isRegularFile(source) && source.toString().endsWith(".jar")) {
            try (ZipFile z = new ZipFile(source.toFile())) {
                for (ZipEntry e : z.stream().filter(e -> isSchema(e.getName().substring(e.getName().lastIndexOf('/') + 1))).toList()) {
                    try (InputStream in = z.getInputStream(e)) {
                        out.put(source.getFileName() + "!/" + e.getName(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
                    }
                }
            }
        }
        return out;
    }
}
