package org.orrery.qom;

/**
 * A precise, user-facing error from the object model or the command layer. Its message is written to be
 * shown to a person as it is (one line, no stack trace); its class is the QMP error class.
 */
public class QomException extends RuntimeException {
    private final ErrorClass errorClass;

    public QomException(String message) { this(ErrorClass.GenericError, message); }

    public QomException(ErrorClass errorClass, String message) {
        super(message, null, false, false);
        this.errorClass = errorClass;
    }

    public ErrorClass errorClass() { return errorClass; }

    public static QomException notFound(String message) { return new QomException(ErrorClass.DeviceNotFound, message); }
}
