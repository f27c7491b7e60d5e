package org.orrery.backend.chardev.internal;

import org.orrery.qom.TypeDescription;
import org.orrery.qom.TypeProvider;
import org.osgi.service.component.annotations.Component;

/** The chardev types this bundle contributes; instances live at /chardevs/ID and implement CharBackend. */
public final class ChardevTypes {
    private ChardevTypes() { }

    @Component(service = TypeProvider.class)
    public static final class Base implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named("chardev").parent("object").abstractType()
                    .description("A character stream a device or a monitor talks through (at /chardevs/ID)")
                    .properties(Chardev.LOGFILE, Chardev.LOGAPPEND);
        }
    }

    @Component(service = TypeProvider.class)
    public static final class Null implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named("chardev-null").parent("chardev")
                    .description("Discards output, never produces input").creates(NullChardev::new);
        }
    }

    @Component(service = TypeProvider.class)
    public static final class Stdio implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named("chardev-stdio").parent("chardev")
                    .description("The emulator's standard input and output (raw mode on a terminal)")
                    .property(StdioChardev.SIGNAL).creates(StdioChardev::new);
        }
    }

    @Component(service = TypeProvider.class)
    public static final class File implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named("chardev-file").parent("chardev")
                    .description("Output to a file; optional input from another file")
                    .properties(FileChardev.PATH, FileChardev.IN, FileChardev.APPEND).creates(FileChardev::new);
        }
    }

    @Component(service = TypeProvider.class)
    public static final class Socket implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named("chardev-socket").parent("chardev")
                    .description("A unix or TCP stream socket, as server (one client at a time) or client")
                    .properties(SocketChardev.PATH, SocketChardev.HOST, SocketChardev.PORT, SocketChardev.SERVER,
                            SocketChardev.WAIT, SocketChardev.RECONNECT, SocketChardev.TELNET, SocketChardev.NODELAY)
                    .creates(SocketChardev::new);
        }
    }

    @Component(service = TypeProvider.class)
    public static final class Pty implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named("chardev-pty").parent("chardev")
                    .description("A new pseudo-terminal (/dev/pts/N) for a terminal program to open (needs socat)")
                    .creates(PtyChardev::new);
        }
    }

    @Component(service = TypeProvider.class)
    public static final class Ringbuf implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named("chardev-ringbuf").parent("chardev")
                    .description("Output kept in a ring buffer, read with ringbuf-read")
                    .property(RingbufChardev.SIZE).creates(RingbufChardev::new);
        }
    }

    @Component(service = TypeProvider.class)
    public static final class Mux implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named("chardev-mux").parent("chardev")
                    .description("Shares a chardev between several front-ends; Ctrl-a c switches the input focus")
                    .property(MuxChardev.CHARDEV).creates(MuxChardev::new);
        }
    }
}
