package org.orrery.qom;

import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * A class-level property: its name, type, description, default and window for writes. Declared once
 * per type (typically as a constant of the object's class) and used both to describe the type before any
 * instance exists and as the typed key the object reads its value with ({@code get(CHARDEV)}).
 *
 * <p>A property either stores its value in the object (the default) or is computed: a getter and an
 * optional setter then stand in for the storage.
 *
 * @param <T> the Java type of values
 */
public final class Property<T> {
    private final String name;
    private final PropertyType<T> type;
    private final String description;
    private final T defaultValue;
    private final Settable settable;
    private final Function<QObject, T> getter;
    private final BiConsumer<QObject, T> setter;
    private final boolean required;

    private Property(String name, PropertyType<T> type, String description, T defaultValue, Settable settable,
                     Function<QObject, T> getter, BiConsumer<QObject, T> setter, boolean required) {
        this.name = Objects.requireNonNull(name);
        this.type = Objects.requireNonNull(type);
        this.description = description;
        this.defaultValue = defaultValue;
        this.settable = settable;
        this.getter = getter;
        this.setter = setter;
        this.required = required;
    }

    /** A stored property, settable before realize, without default or description. */
    public static <T> Property<T> of(String name, PropertyType<T> type) {
        return new Property<>(name, type, null, null, Settable.BEFORE_REALIZE, null, null, false);
    }

    public Property<T> description(String text) { return new Property<>(name, type, text, defaultValue, settable, getter, setter, required); }
    public Property<T> defaultValue(T value) { return new Property<>(name, type, description, value, settable, getter, setter, required); }
    public Property<T> settable(Settable when) { return new Property<>(name, type, description, defaultValue, when, getter, setter, required); }
    /** The object cannot be realized while this property has no value. */
    public Property<T> required() { return new Property<>(name, type, description, defaultValue, settable, getter, setter, true); }

    /** Makes the property read-only and computed by {@code getter} from the object. */
    @SuppressWarnings("unchecked")
    public <O extends QObject> Property<T> computed(Function<O, T> getter) {
        return new Property<>(name, type, description, defaultValue, setter == null ? Settable.NEVER : settable,
                o -> getter.apply((O) o), setter, required);
    }

    /** Routes writes to {@code setter} instead of the object's storage (a getter must be given too). */
    @SuppressWarnings("unchecked")
    public <O extends QObject> Property<T> onWrite(BiConsumer<O, T> setter, Settable when) {
        return new Property<>(name, type, description, defaultValue, when, getter, (o, v) -> setter.accept((O) o, v), required);
    }

    public String name() { return name; }
    public PropertyType<T> type() { return type; }
    public String description() { return description; }
    public T defaultValue() { return defaultValue; }
    public Settable settable() { return settable; }
    public boolean isRequired() { return required; }
    public boolean isComputed() { return getter != null; }
    Function<QObject, T> getter() { return getter; }
    BiConsumer<QObject, T> setter() { return setter; }

    @Override public String toString() { return name + ": " + type.name(); }
}
