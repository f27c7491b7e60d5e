package org.orrery.backend.rng.internal;

import org.orrery.qom.TypeDescription;
import org.orrery.qom.TypeProvider;
import org.osgi.service.component.annotations.Component;

/** The types this bundle registers. */
final class RngTypes {
    private RngTypes() { }

    @Component(service = TypeProvider.class)
    public static final class Abstract implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named("rng-backend").parent("object").implementing("user-creatable").abstractType()
                    .description("A source of random bytes for random-number devices");
        }
    }

    @Component(service = TypeProvider.class)
    public static final class Builtin implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named("rng-builtin").parent("rng-backend")
                    .description("Random bytes from the host's cryptographic generator").creates(RngBackend.Builtin::new);
        }
    }

    @Component(service = TypeProvider.class)
    public static final class Random implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named("rng-random").parent("rng-backend").property(RngBackend.FILENAME)
                    .description("Random bytes read from a file (default /dev/urandom)").creates(RngBackend.FromFile::new);
        }
    }
}
