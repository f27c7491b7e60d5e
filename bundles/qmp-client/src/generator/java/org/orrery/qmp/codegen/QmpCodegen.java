package org.orrery.qmp.codegen;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Build-time generator of libqmp's typed facade. Reads the schema files of the reactor (every
 * {@code schema.json} and {@code *-types.json} under the given resource roots, in the format of
 * {@code org.orrery.command.SchemaParser}) and writes {@code org.orrery.qmp.client.QmpCommands} (one
 * method per command, plus an {@code Async} variant) and, in {@code org.orrery.qmp.client.types}, a
 * record per struct and an enum per enum. Alternates and anything unknown stay {@link JsonNode}.
 *
 * <p>Run by the build (exec-maven-plugin, generate-sources) as a single-file program:
 * {@code java -cp JACKSON QmpCodegen.java OUTPUT_DIR ROOT...}.
 */
public final class QmpCodegen {
    private static final ObjectMapper JSON = JsonMapper.builder().enable(JsonReadFeature.ALLOW_JAVA_COMMENTS).build();
    private static final String PKG = "org.orrery.qmp.client";
    private static final String TYPES = PKG + ".types";
    private static final Set<String> INTS = Set.of("int", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "size");
    private static final Set<String> KEYWORDS = Set.of("abstract", "assert", "boolean", "break", "byte", "case", "catch", "char",
            "class", "const", "continue", "default", "do", "double", "else", "enum", "extends", "final", "finally", "float", "for",
            "goto", "if", "implements", "import", "instanceof", "int", "interface", "long", "native", "new", "package", "private",
            "protected", "public", "return", "short", "static", "strictfp", "super", "switch", "synchronized", "this", "throw",
            "throws", "transient", "try", "void", "volatile", "while", "true", "false", "null", "var", "record", "yield", "sealed",
            "permits", "client");

    record Member(String name, JsonNode type, boolean optional, String doc) { }

    record Struct(String name, String base, List<Member> members, String doc) { }

    record Command(String name, List<Member> args, JsonNode returns, boolean extra, String doc) { }

    private final Map<String, Struct> structs = new TreeMap<>();
    private final Map<String, List<String>> enums = new TreeMap<>();
    private final Map<String, String> enumDocs = new LinkedHashMap<>();
    private final Set<String> alternates = new HashSet<>();
    private final Map<String, Command> commands = new TreeMap<>();
    private final Map<String, String> events = new TreeMap<>();
    private final List<String> sources = new ArrayList<>();
    private final Map<String, JsonNode> pendingCommandData = new LinkedHashMap<>();

    public static void main(String[] args) throws IOException {
        if (args.length < 2) throw new IllegalArgumentException("usage: QmpCodegen OUTPUT_DIR SCHEMA_ROOT...");
        QmpCodegen g = new QmpCodegen();
        for (int i = 1; i < args.length; i++) g.scan(Path.of(args[i]));
        g.resolveCommands();
        g.write(Path.of(args[0]));
        System.out.println("QmpCodegen: " + g.commands.size() + " commands, " + g.structs.size() + " structs, "
                + g.enums.size() + " enums from " + g.sources.size() + " schema files");
    }

    // ---- reading ----

    private void scan(Path root) throws IOException {
        if (!Files.isDirectory(root)) return;
        List<Path> files;
        try (Stream<Path> s = Files.walk(root)) {
            files = s.filter(p -> {
                String n = p.getFileName().toString();
                return n.equals("schema.json") || n.endsWith("-types.json");
            }).sorted().toList();
        }
        for (Path f : files) read(f);
    }

    private void read(Path file) throws IOException {
        JsonNode root = JSON.readTree(Files.readString(file));
        if (root == null || !root.isArray()) return;
        sources.add(file.toString());
        for (JsonNode def : root) {
            String doc = def.path("doc").asText(null);
            if (def.has("struct")) {
                String n = def.get("struct").asText();
                structs.putIfAbsent(n, new Struct(n, def.path("base").asText(null), members(def.get("data")), doc));
            } else if (def.has("enum")) {
                List<String> values = new ArrayList<>();
                for (JsonNode v : def.path("data")) values.add(v.isObject() ? v.path("name").asText() : v.asText());
                enums.putIfAbsent(def.get("enum").asText(), values);
                if (doc != null) enumDocs.putIfAbsent(def.get("enum").asText(), doc);
            } else if (def.has("alternate")) {
                alternates.add(def.get("alternate").asText());
            } else if (def.has("command")) {
                String n = def.get("command").asText();
                if (commands.containsKey(n)) continue;
                commands.put(n, new Command(n, List.of(), def.get("returns"), def.path("extra-arguments").asBoolean(false), doc));
                JsonNode data = def.get("data");
                if (data != null) pendingCommandData.put(n, data);
            } else if (def.has("event")) {
                events.putIfAbsent(def.get("event").asText(), doc);
            }
        }
    }

    private static List<Member> members(JsonNode data) {
        List<Member> out = new ArrayList<>();
        if (data == null || !data.isObject()) return out;
        for (Iterator<Map.Entry<String, JsonNode>> it = data.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            boolean opt = key.startsWith("*");
            JsonNode t = e.getValue();
            String doc = null;
            if (t.isObject()) {
                doc = t.path("doc").asText(null);
                t = t.get("type");
            }
            out.add(new Member(opt ? key.substring(1) : key, t, opt, doc));
        }
        return out;
    }

    /** Command data may name a struct defined in another file: resolved once everything is read. */
    private void resolveCommands() {
        for (Map.Entry<String, JsonNode> e : pendingCommandData.entrySet()) {
            Command c = commands.get(e.getKey());
            List<Member> args = e.getValue().isTextual() ? allMembers(e.getValue().asText()) : members(e.getValue());
            commands.put(c.name(), new Command(c.name(), args, c.returns(), c.extra(), c.doc()));
        }
    }

    private List<Member> allMembers(String struct) {
        List<Member> out = new ArrayList<>();
        Struct s = structs.get(struct);
        if (s == null) return out;
        if (s.base() != null) out.addAll(allMembers(s.base()));
        out.addAll(s.members());
        return out;
    }

    // ---- type mapping ----

    private String javaType(JsonNode t, boolean boxed) {
        if (t == null || t.isNull()) return boxed ? "Void" : "void";
        if (t.isArray()) return "java.util.List<" + javaType(t.get(0), true) + ">";
        String n = t.asText();
        if (n.equals("str")) return "String";
        if (INTS.contains(n)) return boxed ? "Long" : "long";
        if (n.equals("number")) return boxed ? "Double" : "double";
        if (n.equals("bool")) return boxed ? "Boolean" : "boolean";
        if (structs.containsKey(n)) return TYPES + "." + className(n);
        if (enums.containsKey(n)) return TYPES + "." + className(n);
        return "JsonNode";
    }

    /** An expression turning the JsonNode {@code expr} into the Java type of {@code t}. */
    private String fromNode(JsonNode t, String expr) {
        if (t.isArray()) {
            String v = "e" + depth(expr);
            return "QmpCodec.list(" + expr + ", " + v + " -> " + fromNode(t.get(0), v) + ")";
        }
        String n = t.asText();
        if (n.equals("str")) return expr + ".asText()";
        if (INTS.contains(n)) return expr + ".asLong()";
        if (n.equals("number")) return expr + ".asDouble()";
        if (n.equals("bool")) return expr + ".asBoolean()";
        if (structs.containsKey(n)) return TYPES + "." + className(n) + ".fromJson(" + expr + ")";
        if (enums.containsKey(n)) return TYPES + "." + className(n) + ".fromWire(" + expr + ".asText())";
        return expr;
    }

    /** An expression turning the Java value {@code expr} of type {@code t} into a JsonNode. */
    private String toNode(JsonNode t, String expr) {
        if (t.isArray()) {
            String v = "e" + depth(expr);
            return "QmpCodec.array(" + expr + ", " + v + " -> " + toNode(t.get(0), v) + ")";
        }
        String n = t.asText();
        if (n.equals("str")) return "QmpCodec.F.textNode(" + expr + ")";
        if (INTS.contains(n) || n.equals("number")) return "QmpCodec.F.numberNode(" + expr + ")";
        if (n.equals("bool")) return "QmpCodec.F.booleanNode(" + expr + ")";
        if (structs.containsKey(n)) return expr + ".toJson()";
        if (enums.containsKey(n)) return "QmpCodec.F.textNode(" + expr + ".wireName())";
        return expr;
    }

    private static int depth(String expr) { return expr.length(); }

    static String className(String schemaName) {
        StringBuilder sb = new StringBuilder();
        boolean up = true;
        for (char c : schemaName.toCharArray()) {
            if (!Character.isLetterOrDigit(c)) { up = true; continue; }
            sb.append(up ? Character.toUpperCase(c) : c);
            up = false;
        }
        if (sb.isEmpty() || !Character.isJavaIdentifierStart(sb.charAt(0))) sb.insert(0, 'Q');
        return sb.toString();
    }

    static String memberName(String schemaName) {
        String c = className(schemaName);
        String m = Character.toLowerCase(c.charAt(0)) + c.substring(1);
        return KEYWORDS.contains(m) ? m + "_" : m;
    }

    static String constantName(String value) {
        StringBuilder sb = new StringBuilder();
        for (char c : value.toCharArray()) sb.append(Character.isLetterOrDigit(c) ? Character.toUpperCase(c) : '_');
        if (sb.isEmpty() || !Character.isJavaIdentifierStart(sb.charAt(0))) sb.insert(0, '_');
        return sb.toString();
    }

    private static String javadoc(String indent, String doc, List<String> tags) {
        if ((doc == null || doc.isBlank()) && tags.isEmpty()) return "";
        StringBuilder sb = new StringBuilder(indent).append("/**\n");
        if (doc != null && !doc.isBlank()) sb.append(indent).append(" * ").append(escape(doc)).append('\n');
        for (String t : tags) sb.append(indent).append(" * ").append(escape(t)).append('\n');
        return sb.append(indent).append(" */\n").toString();
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("*/", "*&#47;").replace("@", "&#64;")
                .replace("\\u", "\\\\u").replace("\n", " ");
    }

    private static String literal(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    // ---- writing ----

    private void write(Path out) throws IOException {
        Path pkg = out.resolve(PKG.replace('.', '/'));
        Path types = out.resolve(TYPES.replace('.', '/'));
        Files.createDirectories(pkg);
        Files.createDirectories(types);
        String header = "// Generated by QmpCodegen from the Orrery schema; do not edit.\n";
        writeFile(types.resolve("package-info.java"), header
                + "/** The types of the QMP schema as Java records and enums, generated at build time. */\n"
                + "@org.osgi.annotation.bundle.Export\n@org.osgi.annotation.versioning.Version(\"0.1.0\")\npackage " + TYPES + ";\n");
        writeFile(types.resolve("QmpCodec.java"), header + codec());
        for (Map.Entry<String, List<String>> e : enums.entrySet())
            writeFile(types.resolve(className(e.getKey()) + ".java"), header + enumSource(e.getKey(), e.getValue()));
        for (Struct s : structs.values()) {
            if (s.name().endsWith("-arg")) continue;
            writeFile(types.resolve(className(s.name()) + ".java"), header + recordSource(s));
        }
        writeFile(pkg.resolve("QmpCommands.java"), header + commandsSource());
    }

    private static void writeFile(Path p, String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        if (Files.exists(p) && java.util.Arrays.equals(Files.readAllBytes(p), b)) return;   // keep timestamps stable
        Files.write(p, b);
    }

    private String codec() {
        return "package " + TYPES + ";\n\n"
                + "import com.fasterxml.jackson.databind.JsonNode;\n"
                + "import com.fasterxml.jackson.databind.node.ArrayNode;\n"
                + "import com.fasterxml.jackson.databind.node.JsonNodeFactory;\n\n"
                + "import java.util.ArrayList;\nimport java.util.List;\nimport java.util.function.Function;\n\n"
                + "/** Conversions the generated code shares. */\n"
                + "public final class QmpCodec {\n"
                + "    public static final JsonNodeFactory F = JsonNodeFactory.instance;\n\n"
                + "    private QmpCodec() { }\n\n"
                + "    public static <T> List<T> list(JsonNode array, Function<JsonNode, T> element) {\n"
                + "        List<T> out = new ArrayList<>();\n"
                + "        if (array != null) for (JsonNode e : array) out.add(element.apply(e));\n"
                + "        return List.copyOf(out);\n"
                + "    }\n\n"
                + "    public static <T> ArrayNode array(List<T> values, Function<T, JsonNode> element) {\n"
                + "        ArrayNode out = F.arrayNode();\n"
                + "        for (T v : values) out.add(element.apply(v));\n"
                + "        return out;\n"
                + "    }\n"
                + "}\n";
    }

    private String enumSource(String name, List<String> values) {
        String cls = className(name);
        StringBuilder sb = new StringBuilder("package " + TYPES + ";\n\n");
        sb.append(javadoc("", enumDocs.getOrDefault(name, "The schema enum " + name + "."), List.of()));
        sb.append("public enum ").append(cls).append(" {\n");
        for (int i = 0; i < values.size(); i++) {
            sb.append("    ").append(constantName(values.get(i))).append('(').append(literal(values.get(i))).append(')')
                    .append(i + 1 < values.size() ? ",\n" : ";\n");
        }
        if (values.isEmpty()) sb.append("    ;\n");
        sb.append("\n    private final String wire;\n\n");
        sb.append("    ").append(cls).append("(String wire) { this.wire = wire; }\n\n");
        sb.append("    /** The value as it goes on the wire. */\n");
        sb.append("    public String wireName() { return wire; }\n\n");
        sb.append("    public static ").append(cls).append(" fromWire(String wire) {\n");
        sb.append("        for (").append(cls).append(" v : values()) if (v.wire.equals(wire)) return v;\n");
        sb.append("        throw new IllegalArgumentException(\"").append(name).append(" has no value '\" + wire + \"'\");\n");
        sb.append("    }\n}\n");
        return sb.toString();
    }

    private String recordSource(Struct s) {
        String cls = className(s.name());
        List<Member> ms = allMembers(s.name());
        StringBuilder sb = new StringBuilder("package " + TYPES + ";\n\n");
        sb.append("import com.fasterxml.jackson.databind.JsonNode;\nimport com.fasterxml.jackson.databind.node.ObjectNode;\n\n");
        List<String> tags = new ArrayList<>();
        for (Member m : ms)
            tags.add("@param " + memberName(m.name()) + " " + (m.doc() == null ? m.name() : m.doc()) + (m.optional() ? " (optional: may be null)" : ""));
        sb.append(javadoc("", s.doc() == null ? "The schema struct " + s.name() + "." : s.doc(), tags).replace("&#64;param", "@param"));
        sb.append("public record ").append(cls).append('(');
        for (int i = 0; i < ms.size(); i++) {
            Member m = ms.get(i);
            if (i > 0) sb.append(", ");
            sb.append(javaType(m.type(), m.optional())).append(' ').append(memberName(m.name()));
        }
        sb.append(") {\n");
        sb.append("    public static ").append(cls).append(" fromJson(JsonNode n) {\n");
        sb.append("        return new ").append(cls).append('(');
        for (int i = 0; i < ms.size(); i++) {
            Member m = ms.get(i);
            if (i > 0) sb.append(",\n                ");
            String get = "n.get(" + literal(m.name()) + ")";
            String conv = fromNode(m.type(), get);
            if (m.optional()) sb.append("n.hasNonNull(").append(literal(m.name())).append(") ? ").append(conv).append(" : null");
            else if (javaType(m.type(), false).equals("JsonNode")) sb.append(get);
            else sb.append("n.hasNonNull(").append(literal(m.name())).append(") ? ").append(conv).append(" : ")
                    .append(defaultFor(javaType(m.type(), false)));
        }
        sb.append(");\n    }\n\n");
        sb.append("    public ObjectNode toJson() {\n");
        sb.append("        ObjectNode o = QmpCodec.F.objectNode();\n");
        for (Member m : ms) {
            String v = memberName(m.name());
            boolean nullable = m.optional() || !isPrimitive(javaType(m.type(), false));
            sb.append("        ");
            if (nullable) sb.append("if (").append(v).append(" != null) ");
            sb.append("o.set(").append(literal(m.name())).append(", ").append(toNode(m.type(), v)).append(");\n");
        }
        sb.append("        return o;\n    }\n}\n");
        return sb.toString();
    }

    private static boolean isPrimitive(String t) { return t.equals("long") || t.equals("double") || t.equals("boolean"); }

    private static String defaultFor(String t) {
        return switch (t) {
            case "long" -> "0L";
            case "double" -> "0.0";
            case "boolean" -> "false";
            default -> "null";
        };
    }

    private String commandsSource() {
        StringBuilder sb = new StringBuilder("package " + PKG + ";\n\n");
        sb.append("import com.fasterxml.jackson.databind.JsonNode;\n");
        sb.append("import com.fasterxml.jackson.databind.node.ObjectNode;\n");
        sb.append("import ").append(TYPES).append(".QmpCodec;\n\n");
        sb.append("import java.util.concurrent.CompletableFuture;\n\n");
        sb.append("/**\n * Typed QMP calls, one per command of the schema the library was built from (");
        sb.append(commands.size()).append(" commands). Each has an {@code Async} twin. Optional arguments are\n");
        sb.append(" * nullable; errors are {@link QmpException}s. Generated by QmpCodegen; do not edit.\n */\n");
        sb.append("public final class QmpCommands {\n");
        sb.append("    private final QmpClient client;\n\n");
        sb.append("    public QmpCommands(QmpClient client) { this.client = client; }\n\n");
        sb.append("    /** The names of the events the schema declares. */\n");
        sb.append("    public static final java.util.List<String> EVENTS = java.util.List.of(");
        sb.append(String.join(", ", events.keySet().stream().map(QmpCodegen::literal).toList())).append(");\n\n");
        Set<String> used = new HashSet<>(Set.of("client"));
        for (Command c : commands.values()) {
            String method = memberName(c.name());
            while (!used.add(method)) method = method + "_";
            emitCommand(sb, c, method, c.args());
            List<Member> required = c.args().stream().filter(m -> !m.optional()).toList();
            if (required.size() < c.args().size()) emitCommand(sb, c, method, required);
        }
        sb.append("}\n");
        return sb.toString();
    }

    private void emitCommand(StringBuilder sb, Command c, String method, List<Member> params) {
        String ret = javaType(c.returns(), false);
        String boxedRet = javaType(c.returns(), true);
        List<String> decl = new ArrayList<>();
        List<String> tags = new ArrayList<>();
        for (Member m : params) {
            decl.add(javaType(m.type(), m.optional()) + " " + memberName(m.name()));
            tags.add("@param " + memberName(m.name()) + " " + (m.doc() == null ? m.name() : m.doc()) + (m.optional() ? " (optional: null to omit)" : ""));
        }
        if (c.extra()) {
            decl.add("ObjectNode extra");
            tags.add("@param extra further members, passed as they are (properties of the object or device); may be null");
        }
        String build = buildArgs(c, params);
        String doc = (c.doc() == null ? "" : c.doc() + " ") + "(QMP command {@code " + c.name() + "})";
        String jd = javadoc("    ", doc, tags).replace("&#64;param", "@param").replace("{&#64;code", "{@code");
        String conv = c.returns() == null ? null : fromNode(c.returns(), "r");
        // synchronous
        sb.append(jd);
        sb.append("    public ").append(ret).append(' ').append(method).append('(').append(String.join(", ", decl)).append(") {\n");
        sb.append(build);
        if (conv == null) sb.append("        client.call(").append(literal(c.name())).append(", a);\n");
        else sb.append("        JsonNode r = client.call(").append(literal(c.name())).append(", a);\n        return ").append(conv).append(";\n");
        sb.append("    }\n\n");
        // asynchronous
        sb.append(jd);
        sb.append("    public CompletableFuture<").append(boxedRet).append("> ").append(method).append("Async(")
                .append(String.join(", ", decl)).append(") {\n");
        sb.append(build);
        sb.append("        return client.callAsync(").append(literal(c.name())).append(", a).thenApply(r -> ")
                .append(conv == null ? "(Void) null" : conv).append(");\n");
        sb.append("    }\n\n");
    }

    private String buildArgs(Command c, List<Member> params) {
        StringBuilder sb = new StringBuilder();
        if (params.isEmpty() && !c.extra()) {
            sb.append("        ObjectNode a = null;\n");
            return sb.toString();
        }
        sb.append("        ObjectNode a = QmpCodec.F.objectNode();\n");
        if (c.extra()) sb.append("        if (extra != null) a.setAll(extra);\n");
        for (Member m : params) {
            String v = memberName(m.name());
            boolean nullable = m.optional() || !isPrimitive(javaType(m.type(), false));
            sb.append("        ");
            if (nullable) sb.append("if (").append(v).append(" != null) ");
            sb.append("a.set(").append(literal(m.name())).append(", ").append(toNode(m.type(), v)).append(");\n");
        }
        return sb.toString();
    }
}
