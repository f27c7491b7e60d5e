package shapes;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.*;

/** Every shape of lambda and method reference javac writes; {@link #run()} prints what each returns. */
public class Shapes extends Base implements Greeter {
    private int field = 7;
    private final StringBuilder out = new StringBuilder();

    private static int inc(int v) { return v + 1; }
    private static long twice(long v) { return 2 * v; }
    private String priv(String s) { return "priv:" + s + field; }
    @Override protected String prot() { return "override"; }

    public static String run() { return new Shapes().all(); }

    private void put(Object o) { out.append(o).append(';'); }

    String all() {
        Runnable r = () -> put("runnable");
        r.run();
        Supplier<String> constant = () -> "constant";
        put(constant.get());
        int local = 3; long wide = 1L << 40; double d = 2.5; String s = "cap";
        Supplier<String> captures = () -> s + local + wide + d + field;
        put(captures.get());
        IntBinaryOperator prim = (a, b) -> a * b + local;
        put(prim.applyAsInt(6, 7));
        Function<String, Integer> parse = Integer::parseInt;
        put(parse.apply("41") + 1);
        ToIntFunction<String> length = String::length;
        put(length.applyAsInt("four"));
        Function<String, Integer> boxedLength = String::length;
        put(boxedLength.apply("seven!!"));
        StringBuilder sb = new StringBuilder("x");
        Function<String, StringBuilder> bound = sb::append;
        put(bound.apply("y"));
        Supplier<List<String>> ctor = ArrayList::new;
        List<String> list = ctor.get(); list.add("a");
        put(list);
        IntFunction<int[]> array = int[]::new;
        put(array.apply(5).length);
        UnaryOperator<String> mine = this::priv;
        put(mine.apply("p"));
        Supplier<String> sup = super::prot;
        put(sup.get());
        Supplier<String> over = this::prot;
        put(over.get());
        Function<Integer, Integer> unboxBox = Shapes::inc;
        put(unboxBox.apply(9));
        IntToLongFunction widen = Shapes::twice;
        put(widen.applyAsLong(21));
        ToLongFunction<Integer> unboxWiden = Shapes::twice;
        put(unboxWiden.applyAsLong(4));
        Comparator<String> byLength = Comparator.comparing(String::length);
        put(byLength.compare("aa", "b") > 0);
        BiFunction<String, Object[], String> format = String::format;
        put(format.apply("%s-%s", new Object[] {"f", 1}));
        Runnable serial = (Runnable & Serializable) () -> put("serializable");
        serial.run();
        put(hello("you"));
        Inner inner = new Inner();
        put(inner.viaOuter().get());
        Consumer<Object> dropResult = out::append;
        dropResult.accept("[dropped]");
        Predicate<String> empty = String::isEmpty;
        put(empty.test("") + "/" + empty.negate().test(""));
        Supplier<Runnable> same = () -> () -> { };
        put(same.get() == same.get());
        DoubleSupplier ds = () -> local * 0.5;
        put(ds.getAsDouble());
        ObjIntConsumer<List<String>> addN = (l, n) -> l.add("n" + n);
        addN.accept(list, 2);
        put(list);
        return out.toString();
    }

    class Inner {
        Supplier<String> viaOuter() {
            Function<String, String> f = Shapes.this::priv;
            return () -> f.apply("inner") + field;
        }
    }
}

class Base {
    protected String prot() { return "base"; }
}

interface Greeter {
    default String hello(String who) {
        Function<String, String> f = w -> greeting() + w;
        return f.apply(who);
    }
    private String greeting() { return "hello "; }
}
