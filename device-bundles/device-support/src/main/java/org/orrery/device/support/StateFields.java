package org.orrery.device.support;

import org.orrery.machine.state.StateException;
import org.orrery.machine.state.StateField;

import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * State fields for the shapes devices keep that the standard builder kinds do not cover: int and boolean
 * arrays sized by properties (saved as {@code uint64[]}, lengths must match), a 2-D int array, and bytes of a
 * bounded, variable length (a FIFO's contents). Every check runs before anything is loaded.
 */
public final class StateFields {
    private StateFields() { }

    /** An int array the device owns (bit sets, per-source values): loaded into it, lengths must match. */
    public static <T> StateField<T> ints(String name, Function<T, int[]> array) {
        return ints(name, array, (o, v) -> System.arraycopy(v, 0, array.apply(o), 0, v.length));
    }

    /** Ints as many as {@code get} returns for the instance (one per scanout ...), handed to {@code set}; lengths must match. */
    public static <T> StateField<T> ints(String name, Function<T, int[]> get, BiConsumer<T, int[]> set) {
        return new Fixed<>(name, "int32[]", o -> {
            int[] a = get.apply(o);
            long[] out = new long[a.length];
            for (int i = 0; i < a.length; i++) out[i] = a[i];
            return out;
        }, o -> get.apply(o).length, (o, v) -> {
            int[] a = new int[v.length];
            for (int i = 0; i < a.length; i++) a[i] = (int) v[i];
            set.accept(o, a);
        });
    }

    /** Rows of ints (per context, per word), saved flat row after row; every dimension must match. */
    public static <T> StateField<T> intRows(String name, Function<T, int[][]> rows) {
        return new Fixed<>(name, "int32[][]", o -> {
            int[][] r = rows.apply(o);
            int width = r.length == 0 ? 0 : r[0].length;
            long[] out = new long[r.length * width];
            for (int i = 0; i < r.length; i++) for (int j = 0; j < width; j++) out[i * width + j] = r[i][j];
            return out;
        }, o -> {
            int[][] r = rows.apply(o);
            return r.length == 0 ? 0 : r.length * r[0].length;
        }, (o, v) -> {
            int[][] r = rows.apply(o);
            int width = r.length == 0 ? 0 : r[0].length;
            for (int i = 0; i < r.length; i++) for (int j = 0; j < width; j++) r[i][j] = (int) v[i * width + j];
        });
    }

    /** A boolean array the device owns (per hart, per source), saved as 0/1: loaded into it, lengths must match. */
    public static <T> StateField<T> booleans(String name, Function<T, boolean[]> array) {
        return new Fixed<>(name, "bool[]", o -> {
            boolean[] a = array.apply(o);
            long[] out = new long[a.length];
            for (int i = 0; i < a.length; i++) out[i] = a[i] ? 1 : 0;
            return out;
        }, o -> array.apply(o).length, (o, v) -> {
            boolean[] a = array.apply(o);
            for (int i = 0; i < a.length; i++) a[i] = v[i] != 0;
        });
    }

    /** Bytes of at most {@code maxLength} (and a multiple of {@code unit}), handed to {@code set}. */
    public static <T> StateField<T> boundedBytes(String name, int maxLength, int unit, Function<T, byte[]> get, BiConsumer<T, byte[]> set) {
        return new Variable<>(name, "bytes", byte[].class, o -> get.apply(o).clone(), v -> {
            byte[] b = (byte[]) v;
            if (b.length > maxLength || b.length % unit != 0)
                throw new StateException("saved " + b.length + " bytes; at most " + maxLength + (unit > 1 ? ", in units of " + unit : "") + " fit");
        }, (o, v) -> set.accept(o, ((byte[]) v).clone()));
    }

    /** Heads, indices: a variable number of integers, each below {@code limit}, handed to {@code set}. */
    public static <T> StateField<T> longList(String name, long limit, Function<T, long[]> get, BiConsumer<T, long[]> set) {
        return new Variable<>(name, "uint64[]", long[].class, o -> get.apply(o).clone(), v -> {
            for (long x : (long[]) v) if (x < 0 || x >= limit) throw new StateException("value " + x + " is not below " + limit);
        }, (o, v) -> set.accept(o, ((long[]) v).clone()));
    }

    /** A value of a variable size: checked by itself, then handed over. */
    private record Variable<T>(String name, String kind, Class<?> valueClass, Function<T, Object> get,
                               java.util.function.Consumer<Object> checker, BiConsumer<T, Object> set) implements StateField<T> {
        @Override public Object save(T object) { return get.apply(object); }

        @Override public void check(T object, Object value) {
            if (!valueClass.isInstance(value)) throw new StateException("saved as " + describe(value) + ", expected " + kind);
            checker.accept(value);
        }

        @Override public void load(T object, Object value) { set.accept(object, value); }
    }

    private static String describe(Object v) { return v == null ? "nothing" : v.getClass().getSimpleName(); }

    /** A long[] of a length the instance fixes. */
    private record Fixed<T>(String name, String kind, Function<T, long[]> get, java.util.function.ToIntFunction<T> length,
                            BiConsumer<T, long[]> set) implements StateField<T> {
        @Override public Object save(T object) { return get.apply(object); }

        @Override public void check(T object, Object value) {
            if (!(value instanceof long[] l)) throw new StateException("saved as " + describe(value) + ", expected " + kind);
            int want = length.applyAsInt(object);
            if (l.length != want) throw new StateException("saved " + l.length + " values, this instance has " + want);
        }

        @Override public void load(T object, Object value) { set.accept(object, (long[]) value); }
    }
}
