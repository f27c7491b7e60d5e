package org.orrery.itest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * docs/writing-a-device.md read as a test fixture, so the doc and the example cannot drift apart. A fenced
 * block right after {@code <!-- file: PATH -->} must appear verbatim in that file of the repository; a block
 * right after {@code <!-- e2e: KIND -->} is something the tests execute: {@code build} (shell lines run in
 * the repository root), {@code run} (an orrery command line), {@code qmp} (a transcript replayed over QMP).
 */
final class WritingADeviceDoc {
    /** One fenced block with the marker before it. */
    record Block(String marker, String argument, String text, int line) {
        List<String> lines() {
            List<String> out = new ArrayList<>();
            StringBuilder joined = new StringBuilder();
            for (String l : text.split("\n")) {
                if (l.isBlank() || l.stripLeading().startsWith("#")) continue;
                if (l.endsWith("\\")) { joined.append(l, 0, l.length() - 1); continue; }
                joined.append(l);
                out.add(joined.toString().strip());
                joined.setLength(0);
            }
            return out;
        }
    }

    private static final Pattern BLOCK = Pattern.compile("<!--\\s*(file|e2e):\\s*(\\S+)\\s*-->\\s*\n```[^\n]*\n(.*?)\n```", Pattern.DOTALL);

    private final List<Block> blocks;

    private WritingADeviceDoc(List<Block> blocks) {
        this.blocks = blocks;
    }

    static Path path() {
        return DistributionLayout.repositoryRoot().resolve("docs/writing-a-device.md");
    }

    static WritingADeviceDoc load() {
        try {
            String text = Files.readString(path());
            List<Block> out = new ArrayList<>();
            Matcher m = BLOCK.matcher(text);
            while (m.find()) {
                int line = 1 + (int) text.substring(0, m.start()).chars().filter(c -> c == '\n').count();
                out.add(new Block(m.group(1), m.group(2), m.group(3), line));
            }
            return new WritingADeviceDoc(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The blocks marked {@code <!-- e2e: kind -->}, in document order. */
    List<Block> blocks(String kind) {
        List<Block> out = blocks.stream().filter(b -> b.marker().equals("e2e") && b.argument().equals(kind)).toList();
        if (out.isEmpty()) throw new AssertionError(path() + " has no <!-- e2e: " + kind + " --> block");
        return out;
    }

    /** The blocks marked {@code <!-- file: path -->}. */
    List<Block> fileBlocks() {
        return blocks.stream().filter(b -> b.marker().equals("file")).toList();
    }
}
