package org.orrery.backend.block.internal;

import org.orrery.backend.testing.TestMachine;

import org.orrery.machine.backend.BlockBackend;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * benchmarks/block-throughput.sh runs this: sequential write (then flush) and read of a file through a raw
 * block node (the BlockBackend API, completions on a machine thread), in 1 MiB requests with a few in flight.
 * Usage: BlockThroughput FILE SIZE_MIB PHASE (write|read)
 */
public final class BlockThroughput {
    private static final int REQ = 1 << 20;
    private static final int DEPTH = 4;

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        int mib = Integer.parseInt(args[1]);
        boolean write = args[2].equals("write");
        if (write && (!Files.exists(file) || Files.size(file) != (long) mib << 20)) {
            try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
                ch.truncate(0);
                ch.write(ByteBuffer.wrap(new byte[1]), ((long) mib << 20) - 1);
            }
        }
        try (TestMachine m = new TestMachine(new BlockTypes.Node(), new BlockTypes.File(), new BlockTypes.Raw()).module(new BlockCommands())) {
            m.qmp("blockdev-add", "{\"driver\":\"raw\",\"node-name\":\"bench\",\"file\":{\"driver\":\"file\",\"filename\":\"" + file + "\"}}");
            BlockBackend b = (BlockBackend) m.call(() -> m.tree.resolve("/blockdevs/bench"));
            ByteBuffer[] bufs = new ByteBuffer[DEPTH];
            for (int i = 0; i < DEPTH; i++) {
                bufs[i] = ByteBuffer.allocateDirect(REQ);
                for (int j = 0; j < REQ; j += 8) bufs[i].putLong(j, j * 0x9E3779B97F4A7C15L + i);
            }
            long t0 = System.nanoTime();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            for (int base = 0; base < mib; base += DEPTH) {
                int n = Math.min(DEPTH, mib - base);
                CountDownLatch done = new CountDownLatch(n);
                for (int i = 0; i < n; i++) {
                    long off = (long) (base + i) * REQ;
                    ByteBuffer buf = bufs[i].duplicate().clear();
                    BlockBackend.Completion c = err -> { if (err != null) failure.set(err); done.countDown(); };
                    if (write) b.write(off, buf, c);
                    else b.read(off, buf, c);
                }
                done.await();
                if (failure.get() != null) throw new IllegalStateException(failure.get());
            }
            if (write) {
                CountDownLatch f = new CountDownLatch(1);
                b.flush(err -> f.countDown());
                f.await();
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            System.out.printf("%.1f%n", mib / secs);
        }
    }
}
