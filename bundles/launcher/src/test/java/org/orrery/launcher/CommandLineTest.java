package org.orrery.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class CommandLineTest {

    @Test
    void acceptsQemuStyleOptionsAndKeepsTheArgumentsInOrder() throws Exception {
        List<String> args = List.of("-M", "virt", "-m", "256M", "-nographic", "--append", "-console=ttyS0");
        CommandLine commandLine = CommandLine.parse(args);
        assertEquals(args, commandLine.arguments());
        assertEquals(List.of("virt"), commandLine.valuesOf(QemuOption.MACHINE));
        // An option's argument may itself start with a dash: it is consumed, not parsed.
        assertEquals(List.of("-console=ttyS0"), commandLine.valuesOf(QemuOption.APPEND));
        assertTrue(commandLine.has(QemuOption.NOGRAPHIC));
    }

    @Test
    void rejectsAnUnknownOptionTheQemuWay() {
        var e = assertThrows(CommandLine.InvalidCommandLineException.class, () -> CommandLine.parse(List.of("-m", "1G", "-foo")));
        assertEquals("-foo: invalid option", e.getMessage());
    }

    @Test
    void rejectsAnOptionMissingItsArgument() {
        var e = assertThrows(CommandLine.InvalidCommandLineException.class, () -> CommandLine.parse(List.of("-nographic", "-m")));
        assertEquals("-m: requires an argument", e.getMessage());
    }

    @Test
    void rejectsABareWord() {
        var e = assertThrows(CommandLine.InvalidCommandLineException.class, () -> CommandLine.parse(List.of("disk.img")));
        assertTrue(e.getMessage().startsWith("disk.img: unexpected argument"), e.getMessage());
    }

    @Test
    void theShellIsInteractiveUnlessAMachineRunsWithoutMinusShell() throws Exception {
        assertTrue(CommandLine.parse(List.of()).wantsInteractiveShell());
        assertTrue(CommandLine.parse(List.of("-m", "1G")).wantsInteractiveShell());
        assertFalse(CommandLine.parse(List.of("-machine", "virt", "-nographic")).wantsInteractiveShell());
        assertFalse(CommandLine.parse(List.of("-kernel", "Image")).wantsInteractiveShell());
        assertTrue(CommandLine.parse(List.of("-M", "virt", "-nographic", "-shell")).wantsInteractiveShell());
    }

    @Test
    void everySpellingIsUniqueAcrossTheTable() {
        long spellings = java.util.Arrays.stream(QemuOption.values()).mapToLong(o -> o.spellings().size()).sum();
        long distinct = java.util.Arrays.stream(QemuOption.values()).flatMap(o -> o.spellings().stream()).distinct().count();
        assertEquals(spellings, distinct);
    }
}
