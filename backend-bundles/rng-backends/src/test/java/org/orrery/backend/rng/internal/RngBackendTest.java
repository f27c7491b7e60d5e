package org.orrery.backend.rng.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.orrery.command.Session;
import org.orrery.command.internal.CommandLayerImpl;
import org.orrery.command.internal.CoreCommands;
import org.orrery.machine.backend.EntropySource;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.QomException;
import org.orrery.qom.SafePoint;
import org.orrery.qom.Value;
import org.orrery.qom.internal.TypeRegistryImpl;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RngBackendTest {
    private final TypeRegistryImpl types = new TypeRegistryImpl();
    private final CommandLayerImpl layer = new CommandLayerImpl();
    private final ObjectTree tree;

    RngBackendTest() {
        types.add("a", new RngTypes.Abstract().describe(), "t");
        types.add("b", new RngTypes.Builtin().describe(), "t");
        types.add("r", new RngTypes.Random().describe(), "t");
        layer.add("core", new CoreCommands(types), "core");
        tree = new ObjectTree(types, SafePoint.inline());
    }

    private void call(String command, String json) throws Exception {
        layer.execute(tree, command, Value.ofJson("a", new ObjectMapper().readTree(json)), Session.INTERNAL);
    }

    @Test void builtinAndFileBackendsProduceBytesThroughObjectAdd(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        call("object-add", "{\"qom-type\": \"rng-builtin\", \"id\": \"r0\"}");
        byte[] b = new byte[64];
        assertEquals(64, ((EntropySource) tree.resolve("/objects/r0")).fill(b, 0, 64));
        assertFalse(Arrays.equals(b, new byte[64]), "64 random bytes are not all zero");
        Path f = dir.resolve("pool");
        Files.write(f, new byte[]{1, 2, 3});
        call("object-add", "{\"qom-type\": \"rng-random\", \"id\": \"r1\", \"filename\": \"" + f + "\"}");
        byte[] c = new byte[8];
        assertEquals(3, ((EntropySource) tree.resolve("/objects/r1")).fill(c, 0, 8), "a short file gives a short read");
        assertEquals(2, c[1]);
        QomException e = assertThrows(QomException.class, () -> call("object-add",
                "{\"qom-type\": \"rng-random\", \"id\": \"r2\", \"filename\": \"/nonexistent/x\"}"));
        assertTrue(e.getMessage().contains("Could not open"), e.getMessage());
        assertTrue(tree.resolve("/objects/r2") == null, "a failed object-add leaves nothing");
    }
}
