package org.orrery.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class MainTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void versionComesFromTheBuildNotFromTheCode() {
        assertEquals(0, run("-version"));
        String firstLine = out.toString(StandardCharsets.UTF_8).lines().findFirst().orElseThrow();
        assertTrue(firstLine.matches("Orrery version \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?"), firstLine);
    }

    @Test
    void helpListsEveryOption() {
        assertEquals(0, run("-h"));
        String usage = out.toString(StandardCharsets.UTF_8);
        java.util.Set<String> listed = new java.util.HashSet<>();
        for (String line : usage.lines().skip(2).toList())
            listed.addAll(java.util.List.of(line.strip().split("\\s+")[0].split("\\|")));
        for (QemuOption option : QemuOption.values()) {
            assertEquals(!option.isRefused(), listed.contains("-" + option.spellings().getFirst()), option.name());
        }
    }

    @Test
    void aRefusedQemuOptionSaysWhy() {
        assertEquals(1, run("-machine", "virt", "-enable-kvm"));
        assertEquals("orrery: -enable-kvm: not supported: there is no KVM: Orrery emulates the harts itself (-accel tcg)"
                + System.lineSeparator(), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void unknownOptionIsOneLineAndStatusOne() {
        assertEquals(1, run("-foo"));
        assertEquals("orrery: -foo: invalid option" + System.lineSeparator(), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void watchedFolderMustExist() {
        assertEquals(1, run("-bundles", "/nonexistent/orrery-test-folder"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("not a directory"));
    }
}
