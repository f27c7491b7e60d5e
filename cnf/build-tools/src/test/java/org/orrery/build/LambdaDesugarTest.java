package org.orrery.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.instruction.InvokeDynamicInstruction;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import javax.tools.ToolProvider;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiles a class that uses every shape of lambda and method reference, desugars a copy, and runs both:
 * the desugared code must compute exactly what the JVM's own lambdas compute.
 */
class LambdaDesugarTest {
    @TempDir Path tmp;

    private Path compileFixture() throws IOException {
        Path src = tmp.resolve("src/shapes/Shapes.java");
        Files.createDirectories(src.getParent());
        try (InputStream in = getClass().getResourceAsStream("/desugar-fixture/shapes/Shapes.java")) {
            Files.write(src, in.readAllBytes());
        }
        Path out = tmp.resolve("original");
        Files.createDirectories(out);
        int rc = ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", out.toString(), src.toString());
        assertEquals(0, rc, "the fixture compiles");
        return out;
    }

    private static Path copy(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t); else Files.copy(p, t);
            }
        }
        return to;
    }

    private static String run(Path classes) throws Exception {
        try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, ClassLoader.getPlatformClassLoader())) {
            return (String) loader.loadClass("shapes.Shapes").getMethod("run").invoke(null);
        }
    }

    private static Map<String, Integer> metafactorySites(Path classes) throws IOException {
        Map<String, Integer> sites = new TreeMap<>();
        try (Stream<Path> s = Files.walk(classes)) {
            for (Path p : s.filter(f -> f.toString().endsWith(".class")).toList()) {
                ClassModel m = ClassFile.of().parse(p);
                for (MethodModel mm : m.methods()) {
                    if (mm.code().isEmpty()) continue;
                    for (var e : mm.code().get())
                        if (e instanceof InvokeDynamicInstruction i && i.bootstrapMethod().owner().displayName().equals("LambdaMetafactory"))
                            sites.merge(i.bootstrapMethod().methodName(), 1, Integer::sum);
                }
            }
        }
        return sites;
    }

    private static List<String> generatedClasses(Path classes) throws IOException {
        List<String> names = new ArrayList<>();
        try (Stream<Path> s = Files.list(classes.resolve("shapes"))) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.contains(LambdaDesugar.MARK)).sorted().forEach(names::add);
        }
        return names;
    }

    @Test
    void desugaredLambdasComputeWhatTheJvmsOwnLambdasCompute() throws Exception {
        Path original = compileFixture();
        String expected = run(original);
        assertTrue(expected.contains("priv:p7") && expected.contains("hello you"), expected);

        Path desugared = copy(original, tmp.resolve("desugared"));
        LambdaDesugar d = new LambdaDesugar(desugared, getClass().getClassLoader());
        d.run();

        assertEquals(expected, run(desugared));
        // only the serializable lambda stays (altMetafactory: its site and the copy in $deserializeLambda$)
        assertEquals(Map.of("altMetafactory", 2), metafactorySites(desugared));
        assertEquals(0, d.kept());
        assertEquals(metafactorySites(original).get("metafactory"), d.desugared());
        assertEquals(d.desugared(), generatedClasses(desugared).size());
    }

    @Test
    void runningAgainChangesNothingAndARecompiledHostGetsFreshClasses() throws Exception {
        Path original = compileFixture();
        Path classes = copy(original, tmp.resolve("twice"));
        new LambdaDesugar(classes, getClass().getClassLoader()).run();
        Map<String, byte[]> first = snapshot(classes);

        LambdaDesugar again = new LambdaDesugar(classes, getClass().getClassLoader());
        again.run();
        assertEquals(0, again.desugared());
        Map<String, byte[]> second = snapshot(classes);
        assertEquals(first.keySet(), second.keySet());
        for (String k : first.keySet()) assertTrue(java.util.Arrays.equals(first.get(k), second.get(k)), k + " unchanged");

        // javac writes Shapes.class again (an incremental build): its classes are generated anew, the others kept
        Files.copy(original.resolve("shapes/Shapes.class"), classes.resolve("shapes/Shapes.class"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        LambdaDesugar rebuilt = new LambdaDesugar(classes, getClass().getClassLoader());
        rebuilt.run();
        assertTrue(rebuilt.desugared() > 0);
        assertEquals(first.keySet(), snapshot(classes).keySet());
        assertEquals(run(original), run(classes));
    }

    private static Map<String, byte[]> snapshot(Path classes) throws IOException {
        Map<String, byte[]> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(classes)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) m.put(classes.relativize(p).toString(), Files.readAllBytes(p));
        }
        return m;
    }
}
