package org.orrery.backend.block.internal;

import org.orrery.backend.testing.TestMachine;

import org.orrery.machine.backend.BlockBackend;

import java.util.Random;

/** Run by BlockNodeTest in a child JVM: writes 1 MiB through a raw node at 1 MiB, flushes, says so, and waits to be killed. */
public final class DurabilityMain {
    static byte[] pattern() {
        byte[] b = new byte[1 << 20];
        new Random(42).nextBytes(b);
        return b;
    }

    public static void main(String[] args) throws Exception {
        TestMachine m = new TestMachine(new BlockTypes.Node(), new BlockTypes.File(), new BlockTypes.Raw()).module(new BlockCommands());
        m.qmp("blockdev-add", "{\"driver\":\"raw\",\"node-name\":\"d0\",\"file\":{\"driver\":\"file\",\"filename\":\"" + args[0] + "\"}}");
        BlockBackend d0 = (BlockBackend) m.call(() -> m.tree.resolve("/blockdevs/d0"));
        BlockIo.write(m, d0, 1 << 20, pattern());
        BlockIo.ok(m, d0::flush);
        System.out.println("flushed");
        System.out.flush();
        Thread.sleep(60_000);
        System.exit(2);
    }
}
