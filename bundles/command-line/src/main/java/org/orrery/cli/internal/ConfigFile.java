package org.orrery.cli.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * -readconfig: a JSON file holding a list of QMP commands (what x-config-save writes), or QEMU's INI
 * format, whose sections become the options they stand for ([device "d0"] driver = "x" is
 * -device x,id=d0).
 */
final class ConfigFile {
    private static final ObjectMapper JSON = JsonMapper.builder().enable(JsonParser.Feature.ALLOW_COMMENTS).build();
    private static final Pattern SECTION = Pattern.compile("\\[\\s*([A-Za-z0-9_-]+)\\s*(?:\"([^\"]*)\")?\\s*]");
    private static final Pattern ENTRY = Pattern.compile("([A-Za-z0-9_.-]+)\\s*=\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");

    record Command(String command, JsonNode arguments, boolean text) { }

    /** What a file contributes: commands to replay (JSON) and options to add in its place (INI). */
    record Loaded(Option option, List<Command> commands, List<Option> options) {
        boolean choosesMachine() {
            return commands.stream().anyMatch(c -> c.command().equals("x-machine-init"));
        }
    }

    private static final int MAX_SIZE = 16 << 20;

    private ConfigFile() { }

    /** Why a file could not be read, in the C library's words where there are such. */
    private static String reason(Exception e) {
        if (e instanceof java.nio.file.NoSuchFileException) return "No such file or directory";
        if (e instanceof java.nio.file.AccessDeniedException) return "Permission denied";
        if (e.getMessage() != null && e.getMessage().contains("Is a directory")) return "Is a directory";
        return e.getMessage();
    }

    static Loaded load(Option o) {
        String text;
        try (var in = Files.newInputStream(Path.of(o.argument()))) {
            // bounded, so a wrong path such as /dev/zero is refused instead of filling the heap
            byte[] bytes = in.readNBytes(MAX_SIZE + 1);
            if (bytes.length > MAX_SIZE) throw new CommandLineException(o, "cannot read config file: larger than " + (MAX_SIZE >> 20) + " MiB");
            text = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException | java.nio.file.InvalidPathException e) {
            throw new CommandLineException(o, "Could not open '" + o.argument() + "': " + reason(e));
        }
        String trimmed = text.stripLeading();
        if (trimmed.startsWith("[") && !SECTION.matcher(trimmed.lines().findFirst().orElse("")).lookingAt()) return json(o, text);
        if (trimmed.startsWith("[{") || trimmed.startsWith("[\n") || trimmed.equals("[]")) return json(o, text);
        return ini(o, text);
    }

    private static Loaded json(Option o, String text) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (IOException e) {
            throw new CommandLineException(o, "not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (root == null || !root.isArray()) throw new CommandLineException(o, "a JSON config file must hold a list of commands");
        List<Command> commands = new ArrayList<>();
        for (JsonNode c : root) {
            if (!c.isObject() || !c.path("execute").isTextual())
                throw new CommandLineException(o, "each entry must be an object with \"execute\": " + c);
            commands.add(new Command(c.get("execute").asText(), c.has("arguments") ? c.get("arguments") : JSON.createObjectNode(),
                    c.path("dialect").asText("json").equals("text")));
        }
        return new Loaded(o, commands, List.of());
    }

    private static Loaded ini(Option o, String text) {
        List<Option> options = new ArrayList<>();
        String section = null, id = null;
        Map<String, String> values = new LinkedHashMap<>();
        int lineNo = 0;
        for (String raw : text.split("\n", -1)) {
            lineNo++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            Matcher s = SECTION.matcher(line);
            if (s.matches()) {
                if (section != null) options.add(toOption(o, section, id, values));
                section = s.group(1);
                id = s.group(2);
                values = new LinkedHashMap<>();
                continue;
            }
            Matcher e = ENTRY.matcher(line);
            if (!e.matches() || section == null)
                throw new CommandLineException(o, "line " + lineNo + ": expected [section] or key = \"value\", got: " + line);
            values.put(e.group(1), e.group(2).replace("\\\"", "\""));
        }
        if (section != null) options.add(toOption(o, section, id, values));
        return new Loaded(o, List.of(), options);
    }

    private static Option toOption(Option o, String section, String id, Map<String, String> values) {
        Map<String, String> v = new LinkedHashMap<>(values);
        return switch (section) {
            case "machine" -> new Option("machine", join(v.remove("type"), null, v));
            case "device" -> new Option("device", join(v.remove("driver"), id, v));
            case "chardev" -> new Option("chardev", join(v.remove("backend"), id, v));
            case "object" -> new Option("object", join(v.remove("qom-type"), id, v));
            case "drive" -> new Option("drive", join(null, id, v));
            case "memory" -> new Option("m", v.getOrDefault("size", ""));
            case "smp-opts" -> new Option("smp", join(null, null, v));
            case "name" -> new Option("name", v.getOrDefault("guest", ""));
            case "global" -> new Option("global", join(null, null, v));
            case "rtc" -> new Option("rtc", join(null, null, v));
            case "accel" -> new Option("accel", join(v.remove("accel"), null, v));
            default -> throw new CommandLineException(o, "unknown section [" + section + "]");
        };
    }

    private static String join(String first, String id, Map<String, String> values) {
        List<String> parts = new ArrayList<>();
        if (first != null) parts.add(first.replace(",", ",,"));
        if (id != null) parts.add("id=" + id.replace(",", ",,"));
        for (Map.Entry<String, String> e : values.entrySet()) parts.add(e.getKey() + "=" + e.getValue().replace(",", ",,"));
        return String.join(",", parts);
    }
}
