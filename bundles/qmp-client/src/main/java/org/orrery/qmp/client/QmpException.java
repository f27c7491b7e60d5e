package org.orrery.qmp.client;

/**
 * A QMP error reply ({@code {"error": {"class": ..., "desc": ...}}}), or the loss of the session
 * ({@link #DISCONNECTED}).
 */
public class QmpException extends RuntimeException {
    /** The class of the exception thrown when the session ended before the reply came. */
    public static final String DISCONNECTED = "Disconnected";

    private final String errorClass;
    private final String desc;

    public QmpException(String errorClass, String desc) {
        super(errorClass + ": " + desc);
        this.errorClass = errorClass;
        this.desc = desc;
    }

    public QmpException(String errorClass, String desc, Throwable cause) {
        super(errorClass + ": " + desc, cause);
        this.errorClass = errorClass;
        this.desc = desc;
    }

    /** The QMP error class: GenericError, CommandNotFound, DeviceNotFound, ... */
    public String errorClass() { return errorClass; }

    /** The human-readable description, as the server wrote it. */
    public String desc() { return desc; }
}
