package org.orrery.machine.state;

/**
 * One field of a {@link StateDescription}: how it is read from an object, checked against a saved value
 * and written back. The builder makes the usual kinds; a support library may add its own (a register bank).
 */
public interface StateField<T> {
    String name();

    /** The kind as x-query-vmstate shows it ("uint32", "bytes", "timer", "record ns16550a", ...). */
    String kind();

    /** The field's value in {@code object}, as a {@link StateRecord} value. */
    Object save(T object);

    /** Throws a {@link StateException} saying why {@code value} cannot be loaded into {@code object}; changes nothing. */
    void check(T object, Object value);

    /** Loads a value {@link #check} accepted. */
    void load(T object, Object value);
}
