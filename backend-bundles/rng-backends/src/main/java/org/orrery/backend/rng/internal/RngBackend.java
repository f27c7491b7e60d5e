package org.orrery.backend.rng.internal;

import org.orrery.machine.backend.EntropySource;
import org.orrery.qom.Property;
import org.orrery.qom.PropertyTypes;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;

/** The random-number backends, as QEMU names them: rng-builtin (the host's CSPRNG) and rng-random (a file). */
abstract class RngBackend extends QObject implements EntropySource {
    static final Property<String> FILENAME = Property.of("filename", PropertyTypes.STR).defaultValue("/dev/urandom")
            .description("the file random bytes are read from");

    /** rng-builtin: the JDK's SecureRandom, seeded by the host. */
    static final class Builtin extends RngBackend {
        private final SecureRandom random = new SecureRandom();

        @Override public int fill(byte[] buffer, int offset, int length) {
            byte[] b = new byte[length];
            random.nextBytes(b);
            System.arraycopy(b, 0, buffer, offset, length);
            return length;
        }
    }

    /** rng-random: bytes read from a file such as /dev/urandom or /dev/hwrng; short reads are passed on. */
    static final class FromFile extends RngBackend {
        private InputStream in;

        @Override protected void onRealize() {
            String file = get(FILENAME);
            try {
                in = Files.newInputStream(Path.of(file));
            } catch (IOException e) {
                throw new QomException("Could not open '" + file + "': " + e.getMessage());
            }
        }

        @Override protected void onUnrealize() {
            try {
                if (in != null) in.close();
            } catch (IOException ignored) {
                // closing a read-only file cannot lose anything
            }
            in = null;
        }

        @Override public int fill(byte[] buffer, int offset, int length) {
            if (in == null) return 0;
            try {
                int n = in.read(buffer, offset, length);
                return Math.max(n, 0);
            } catch (IOException e) {
                return 0;
            }
        }
    }
}
