package org.orrery.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The option table is the schema of the command line: README.md's table of QEMU options is generated from
 * it, and the command-line bundle understands exactly the options it offers.
 */
class OptionSchemaTest {
    static final String BEGIN = "<!-- BEGIN QEMU option table: generated from bundles/launcher QemuOption; do not edit by hand -->";
    static final String END = "<!-- END QEMU option table -->";

    /**
     * Fails when README.md's table is not what the table generates; with -Dorrery.readme.update=true it
     * rewrites it instead (mvn -o test -pl bundles/launcher -Dtest=OptionSchemaTest -Dorrery.readme.update=true).
     */
    @Test
    void readmeTableIsGeneratedFromTheOptionTable() throws Exception {
        Path readme = Path.of("../../README.md").toAbsolutePath().normalize();
        String text = Files.readString(readme, StandardCharsets.UTF_8);
        int begin = text.indexOf(BEGIN), end = text.indexOf(END);
        assertTrue(begin >= 0 && end > begin, "README.md has no generated option table between its markers");
        String generated = BEGIN + "\n" + QemuOption.markdownTable() + END;
        String current = text.substring(begin, end + END.length());
        if (current.equals(generated)) return;
        if (Boolean.getBoolean("orrery.readme.update")) {
            Files.writeString(readme, text.substring(0, begin) + generated + text.substring(end + END.length()), StandardCharsets.UTF_8);
            return;
        }
        fail("README.md's QEMU option table is stale: regenerate it with "
                + "mvn -o test -pl bundles/launcher -Dtest=OptionSchemaTest -Dorrery.readme.update=true");
    }

    @Test
    void everyRowSaysWhatPartlyOrRefusedMeans() {
        for (QemuOption o : QemuOption.values()) {
            QemuOption.Level level = o.support().level();
            boolean needsNote = level == QemuOption.Level.PARTLY || level == QemuOption.Level.REFUSED;
            assertEquals(needsNote, !o.support().note().isEmpty(), o.name());
        }
    }

    @Test
    void theCommandLineBundleUnderstandsExactlyTheOptionsOffered() throws Exception {
        var table = Class.forName("org.orrery.cli.internal.OptionTable").getDeclaredField("TAKES_ARGUMENT");
        table.setAccessible(true);
        @SuppressWarnings("unchecked")
        Map<String, Boolean> understood = new TreeMap<>((Map<String, Boolean>) table.get(null));
        Map<String, Boolean> offered = new TreeMap<>();
        for (QemuOption o : QemuOption.values())
            if (!o.isRefused()) for (String s : o.spellings()) offered.put(s, o.takesArgument());
        assertEquals(offered, understood, "the launcher's table and the command-line bundle's disagree");
    }
}
