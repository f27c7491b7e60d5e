package org.orrery.build;

import static java.lang.constant.ConstantDescs.CD_Object;
import static java.lang.constant.ConstantDescs.CD_void;
import static java.lang.constant.ConstantDescs.INIT_NAME;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.classfile.Attributes;
import java.lang.classfile.ClassElement;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.CodeTransform;
import java.lang.classfile.MethodModel;
import java.lang.classfile.TypeKind;
import java.lang.classfile.attribute.NestHostAttribute;
import java.lang.classfile.attribute.NestMembersAttribute;
import java.lang.classfile.constantpool.ClassEntry;
import java.lang.classfile.instruction.InvokeDynamicInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDesc;
import java.lang.constant.DirectMethodHandleDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.reflect.AccessFlag;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Turns the lambdas and method references of compiled classes into ordinary classes, at build time.
 *
 * <p>Why: a bundle's classes come from the JDK's ahead-of-time cache at start-up, but the classes the JVM
 * spins at run time for each lambda ({@code LambdaMetafactory}) cannot be cached for a bundle's class
 * loader; a start spins about 540 of them, in the bytecode interpreter, and the class-file code that
 * writes them is what the JIT compiles first. Written out here, they are loaded like the bundle's other
 * classes. This is the JDK's own translation done ahead of time (as Android's build desugars lambdas):
 * for each {@code invokedynamic} bootstrapped by {@code LambdaMetafactory.metafactory}, a final class
 * {@code Host$$LambdaN} in the host's package and nest implements the functional interface, keeps the
 * captured values in fields and calls the implementation method with the same argument and result
 * conversions the metafactory applies; the {@code invokedynamic} becomes a call to its static
 * {@code create} method (a non-capturing lambda is one shared instance, as the JDK makes it).
 * {@code altMetafactory} sites (serializable lambdas, marker interfaces, bridges) and implementation
 * methods the generated class could not reach (another nest's private method, another package's protected
 * one, a class this step cannot read) keep their {@code invokedynamic}.
 *
 * <p>Running it again on its own output changes nothing, and a host recompiled since gets its classes anew.
 * Usage: {@code LambdaDesugar CLASSES-DIR}; referenced classes outside it are read through the thread's
 * context class loader (the module's compile class path under {@code exec:java}).
 */
public final class LambdaDesugar {
    static final String MARK = "$$Lambda";
    private static final ClassDesc LAMBDA_METAFACTORY = ClassDesc.of("java.lang.invoke.LambdaMetafactory");
    /** Parses, and builds the generated classes (straight-line code, so their stack maps need no class hierarchy). */
    private static final ClassFile PLAIN = ClassFile.of();

    private final Path root;
    private final ClassLoader references;
    /** Every class of the folder (internal name to model), as compiled or as last written. */
    private final Map<String, ClassModel> classes = new TreeMap<>();
    private final Map<String, Optional<ClassModel>> external = new HashMap<>();
    private int desugared, kept;

    /** Rewrites code and so recomputes stack maps, which needs the class hierarchy of the folder and its references. */
    private final ClassFile classFile;

    LambdaDesugar(Path root, ClassLoader references) {
        this.root = root;
        this.references = references;
        this.classFile = ClassFile.of(ClassFile.ClassHierarchyResolverOption.of(
            ClassHierarchyResolver.ofResourceParsing(this::classBytes).orElse(ClassHierarchyResolver.defaultResolver())));
    }

    private InputStream classBytes(ClassDesc c) {
        String internal = c.descriptorString().substring(1, c.descriptorString().length() - 1);
        Path f = fileOf(internal);
        try {
            return Files.isRegularFile(f) ? Files.newInputStream(f) : references.getResourceAsStream(internal + ".class");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) throw new IllegalArgumentException("usage: LambdaDesugar CLASSES-DIR");
        Path dir = Path.of(args[0]);
        if (!Files.isDirectory(dir)) return; // a module without classes
        LambdaDesugar d = new LambdaDesugar(dir, Thread.currentThread().getContextClassLoader());
        d.run();
        if (d.desugared + d.kept > 0)
            System.out.println("[lambda-desugar] " + d.desugared + " lambdas written as classes, " + d.kept + " left to the JVM (" + dir + ")");
    }

    int desugared() { return desugared; }
    int kept() { return kept; }

    void run() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(root)) {
            files = s.filter(p -> p.toString().endsWith(".class") && !p.getFileName().toString().equals("module-info.class")).toList();
        }
        for (Path f : files) {
            ClassModel m = PLAIN.parse(Files.readAllBytes(f));
            classes.put(m.thisClass().asInternalName(), m);
        }
        for (String name : List.copyOf(classes.keySet())) {
            ClassModel host = classes.get(name);
            if (name.contains(MARK) || !hasLambdaSites(host)) continue;
            deleteGeneratedOf(name);
            desugar(host);
        }
        updateNestMembers();
    }

    private static boolean hasLambdaSites(ClassModel m) {
        for (MethodModel mm : m.methods()) {
            if (mm.code().isEmpty()) continue;
            for (var e : mm.code().get()) if (e instanceof InvokeDynamicInstruction i && isMetafactory(i)) return true;
        }
        return false;
    }

    private static boolean isMetafactory(InvokeDynamicInstruction i) {
        DirectMethodHandleDesc bsm = i.bootstrapMethod();
        return bsm.owner().equals(LAMBDA_METAFACTORY) && bsm.methodName().equals("metafactory") && i.bootstrapArgs().size() == 3;
    }

    /** Classes an earlier run generated for this host: the host was compiled again, so they are stale. */
    private void deleteGeneratedOf(String host) throws IOException {
        String prefix = host + MARK;
        for (String name : List.copyOf(classes.keySet())) {
            if (name.startsWith(prefix) && name.substring(prefix.length()).chars().allMatch(Character::isDigit)) {
                Files.deleteIfExists(fileOf(name));
                classes.remove(name);
            }
        }
    }

    private Path fileOf(String internalName) { return root.resolve(internalName + ".class"); }

    private void desugar(ClassModel host) throws IOException {
        String hostName = host.thisClass().asInternalName();
        Map<String, byte[]> generated = new TreeMap<>();   // by internal name
        CodeTransform sites = (cb, e) -> {
            if (e instanceof InvokeDynamicInstruction i && isMetafactory(i)) {
                Site site = site(host, i);
                if (site != null) {
                    String lambda = hostName + MARK + generated.size();
                    generated.put(lambda, site.generate(ClassDesc.ofInternalName(lambda), host));
                    cb.invokestatic(ClassDesc.ofInternalName(lambda), "create", i.typeSymbol());
                    desugared++;
                    return;
                }
                kept++;
            }
            cb.with(e);
        };
        byte[] rewritten = classFile.transformClass(host, ClassTransform.transformingMethodBodies(sites));
        if (generated.isEmpty()) return;
        write(hostName, rewritten);
        for (var g : generated.entrySet()) write(g.getKey(), g.getValue());
    }

    private void write(String internalName, byte[] bytes) throws IOException {
        Files.write(fileOf(internalName), bytes);
        classes.put(internalName, PLAIN.parse(bytes));
    }

    /** Every generated class is a member of its host's nest (so it may call the host's private methods). */
    private void updateNestMembers() throws IOException {
        Map<String, Set<String>> members = new TreeMap<>();
        for (var e : classes.entrySet()) {
            if (!e.getKey().contains(MARK)) continue;
            e.getValue().findAttribute(Attributes.nestHost()).ifPresent(a ->
                members.computeIfAbsent(a.nestHost().asInternalName(), k -> new LinkedHashSet<>()).add(e.getKey()));
        }
        for (var e : members.entrySet()) {
            ClassModel nestHost = classes.get(e.getKey());
            if (nestHost == null) continue;
            Set<String> all = new LinkedHashSet<>();
            nestHost.findAttribute(Attributes.nestMembers()).ifPresent(a -> a.nestMembers().forEach(c -> all.add(c.asInternalName())));
            if (all.containsAll(e.getValue())) continue;
            all.addAll(e.getValue());
            List<ClassDesc> symbols = all.stream().map(ClassDesc::ofInternalName).toList();
            ClassTransform replace = new ClassTransform() {
                @Override public void accept(java.lang.classfile.ClassBuilder b, ClassElement el) {
                    if (!(el instanceof NestMembersAttribute)) b.with(el);
                }
                @Override public void atEnd(java.lang.classfile.ClassBuilder b) {
                    b.with(NestMembersAttribute.ofSymbols(symbols));
                }
            };
            write(e.getKey(), classFile.transformClass(nestHost, replace));
        }
    }

    private static String nestHostOf(ClassModel m) {
        return m.findAttribute(Attributes.nestHost()).map(a -> a.nestHost().asInternalName()).orElse(m.thisClass().asInternalName());
    }

    private static String packageOf(String internalName) {
        int slash = internalName.lastIndexOf('/');
        return slash < 0 ? "" : internalName.substring(0, slash);
    }

    /** The site as a class to generate, or null when the generated class could not call its implementation. */
    private Site site(ClassModel host, InvokeDynamicInstruction i) {
        List<ConstantDesc> args = i.bootstrapArgs();
        if (!(args.get(0) instanceof MethodTypeDesc samType) || !(args.get(1) instanceof DirectMethodHandleDesc impl)
                || !(args.get(2) instanceof MethodTypeDesc instantiated)) return null;
        boolean privateTarget;
        switch (impl.kind()) {
            case STATIC, INTERFACE_STATIC, VIRTUAL, INTERFACE_VIRTUAL, SPECIAL, INTERFACE_SPECIAL, CONSTRUCTOR -> { }
            default -> { return null; }
        }
        Declaration d = declaration(impl.owner(), impl.methodName(), impl.lookupDescriptor(), impl.kind() == DirectMethodHandleDesc.Kind.CONSTRUCTOR);
        if (d == null) return null;
        String hostName = host.thisClass().asInternalName();
        if (d.method.flags().has(AccessFlag.PRIVATE)) {
            if (!nestHostOf(d.owner).equals(nestHostOf(host))) return null;
            privateTarget = true;
        } else {
            if (d.method.flags().has(AccessFlag.PROTECTED) && !packageOf(d.owner.thisClass().asInternalName()).equals(packageOf(hostName))) return null;
            privateTarget = false;
        }
        // invokespecial of a non-private method is a super call, which only the host itself may make
        if ((impl.kind() == DirectMethodHandleDesc.Kind.SPECIAL || impl.kind() == DirectMethodHandleDesc.Kind.INTERFACE_SPECIAL) && !privateTarget) return null;
        MethodTypeDesc factory = i.typeSymbol();
        if (factory.returnType().isPrimitive()) return null;
        boolean returnsNothing = impl.kind() != DirectMethodHandleDesc.Kind.CONSTRUCTOR && impl.invocationType().returnType().equals(CD_void);
        if (returnsNothing && !samType.returnType().equals(CD_void)) return null;
        return new Site(i.name().stringValue(), factory, samType, impl, instantiated);
    }

    private record Declaration(ClassModel owner, MethodModel method) { }

    /** Where the method a handle names is declared: the owner, else its superclasses and interfaces. */
    private Declaration declaration(ClassDesc owner, String name, String descriptor, boolean constructor) {
        if (owner.isArray() || owner.isPrimitive()) return null;
        return declaration(owner.descriptorString().substring(1, owner.descriptorString().length() - 1), name, descriptor, constructor, 0);
    }

    private Declaration declaration(String owner, String name, String descriptor, boolean constructor, int depth) {
        if (depth > 32) return null;
        ClassModel m = model(owner);
        if (m == null) return null;
        for (MethodModel mm : m.methods())
            if (mm.methodName().equalsString(constructor ? INIT_NAME : name) && mm.methodType().equalsString(descriptor)) return new Declaration(m, mm);
        if (constructor) return null;
        List<String> supers = new ArrayList<>();
        m.superclass().map(ClassEntry::asInternalName).ifPresent(supers::add);
        m.interfaces().forEach(c -> supers.add(c.asInternalName()));
        for (String s : supers) {
            Declaration d = declaration(s, name, descriptor, false, depth + 1);
            if (d != null) return d;
        }
        return null;
    }

    private ClassModel model(String internalName) {
        ClassModel m = classes.get(internalName);
        if (m != null) return m;
        return external.computeIfAbsent(internalName, n -> {
            try (InputStream in = references.getResourceAsStream(n + ".class")) {
                return in == null ? Optional.empty() : Optional.of(PLAIN.parse(in.readAllBytes()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }).orElse(null);
    }

    /** One lambda site: the functional interface's method, the captured values and the method it calls. */
    private record Site(String samName, MethodTypeDesc factory, MethodTypeDesc samType, DirectMethodHandleDesc impl, MethodTypeDesc instantiated) {

        byte[] generate(ClassDesc self, ClassModel host) {
            ClassDesc iface = factory.returnType();
            List<ClassDesc> captured = factory.parameterList();
            ClassDesc nestHost = ClassDesc.ofInternalName(nestHostOf(host));
            return PLAIN.build(self, cb -> {
                cb.withVersion(host.majorVersion(), host.minorVersion());
                cb.withFlags(ClassFile.ACC_FINAL | ClassFile.ACC_SUPER | ClassFile.ACC_SYNTHETIC);
                cb.withSuperclass(CD_Object);
                cb.withInterfaceSymbols(iface);
                cb.with(NestHostAttribute.of(nestHost));
                for (int k = 0; k < captured.size(); k++)
                    cb.withField("arg" + k, captured.get(k), ClassFile.ACC_PRIVATE | ClassFile.ACC_FINAL);
                MethodTypeDesc init = MethodTypeDesc.of(CD_void, captured);
                cb.withMethodBody(INIT_NAME, init, ClassFile.ACC_PRIVATE, code -> {
                    code.aload(0);
                    code.invokespecial(CD_Object, INIT_NAME, MethodTypeDesc.of(CD_void));
                    int slot = 1;
                    for (int k = 0; k < captured.size(); k++) {
                        code.aload(0);
                        TypeKind kind = TypeKind.from(captured.get(k));
                        code.loadLocal(kind, slot);
                        slot += kind.slotSize();
                        code.putfield(self, "arg" + k, captured.get(k));
                    }
                    code.return_();
                });
                if (captured.isEmpty()) {
                    cb.withField("INSTANCE", self, ClassFile.ACC_PRIVATE | ClassFile.ACC_STATIC | ClassFile.ACC_FINAL);
                    cb.withMethodBody("<clinit>", MethodTypeDesc.of(CD_void), ClassFile.ACC_STATIC, code -> {
                        code.new_(self);
                        code.dup();
                        code.invokespecial(self, INIT_NAME, init);
                        code.putstatic(self, "INSTANCE", self);
                        code.return_();
                    });
                    cb.withMethodBody("create", factory, ClassFile.ACC_STATIC, code -> {
                        code.getstatic(self, "INSTANCE", self);
                        code.areturn();
                    });
                } else {
                    cb.withMethodBody("create", factory, ClassFile.ACC_STATIC, code -> {
                        code.new_(self);
                        code.dup();
                        int slot = 0;
                        for (ClassDesc c : captured) {
                            TypeKind kind = TypeKind.from(c);
                            code.loadLocal(kind, slot);
                            slot += kind.slotSize();
                        }
                        code.invokespecial(self, INIT_NAME, init);
                        code.areturn();
                    });
                }
                cb.withMethodBody(samName, samType, ClassFile.ACC_PUBLIC, code -> samBody(code, self, captured));
            });
        }

        private void samBody(CodeBuilder code, ClassDesc self, List<ClassDesc> captured) {
            DirectMethodHandleDesc.Kind kind = impl.kind();
            boolean constructor = kind == DirectMethodHandleDesc.Kind.CONSTRUCTOR;
            // the implementation's parameters as called: the receiver first for instance methods
            List<ClassDesc> targets = constructor ? MethodTypeDesc.ofDescriptor(impl.lookupDescriptor()).parameterList() : impl.invocationType().parameterList();
            if (constructor) {
                code.new_(impl.owner());
                code.dup();
            }
            int t = 0;
            for (int k = 0; k < captured.size(); k++, t++) {
                code.aload(0);
                code.getfield(self, "arg" + k, captured.get(k));
                convert(code, captured.get(k), targets.get(t));
            }
            int slot = 1;
            for (int k = 0; k < samType.parameterCount(); k++, t++) {
                ClassDesc erased = samType.parameterType(k);
                TypeKind tk = TypeKind.from(erased);
                code.loadLocal(tk, slot);
                slot += tk.slotSize();
                ClassDesc actual = instantiated.parameterType(k);
                convert(code, erased, actual);
                convert(code, actual, targets.get(t));
            }
            ClassDesc owner = impl.owner();
            MethodTypeDesc lookup = MethodTypeDesc.ofDescriptor(impl.lookupDescriptor());
            ClassDesc result;
            switch (kind) {
                case STATIC -> code.invokestatic(owner, impl.methodName(), lookup, false);
                case INTERFACE_STATIC -> code.invokestatic(owner, impl.methodName(), lookup, true);
                case VIRTUAL, SPECIAL -> code.invokevirtual(owner, impl.methodName(), lookup);
                case INTERFACE_VIRTUAL, INTERFACE_SPECIAL -> code.invokeinterface(owner, impl.methodName(), lookup);
                case CONSTRUCTOR -> code.invokespecial(owner, INIT_NAME, lookup);
                default -> throw new IllegalStateException(kind.toString());
            }
            result = constructor ? owner : lookup.returnType();
            ClassDesc wanted = samType.returnType();
            if (wanted.equals(CD_void)) {
                if (!result.equals(CD_void)) {
                    if (TypeKind.from(result).slotSize() == 2) code.pop2(); else code.pop();
                }
                code.return_();
                return;
            }
            if (result.isPrimitive() && !wanted.isPrimitive()) {
                box(code, result);
            } else {
                convert(code, result, instantiated.returnType());
                convert(code, instantiated.returnType(), wanted);
            }
            code.return_(TypeKind.from(wanted));
        }
    }

    /** The metafactory's conversions of one value: widening, boxing, unboxing, casts. */
    static void convert(CodeBuilder code, ClassDesc from, ClassDesc to) {
        if (from.equals(to)) return;
        boolean fromPrimitive = from.isPrimitive(), toPrimitive = to.isPrimitive();
        if (!fromPrimitive && !toPrimitive) {
            if (!to.equals(CD_Object)) code.checkcast(to);
        } else if (fromPrimitive && toPrimitive) {
            widen(code, from, to);
        } else if (fromPrimitive) {
            box(code, from);
            ClassDesc w = wrapper(from);
            if (!to.equals(CD_Object) && !to.equals(w)) code.checkcast(to);
        } else {
            ClassDesc unboxed = primitiveOf(from);
            if (unboxed == null) {
                ClassDesc w = wrapper(to);
                code.checkcast(w);
                unboxed = to;
                from = w;
            }
            code.invokevirtual(from, unboxed.displayName() + "Value", MethodTypeDesc.of(unboxed));
            widen(code, unboxed, to);
        }
    }

    private static void widen(CodeBuilder code, ClassDesc from, ClassDesc to) {
        TypeKind a = TypeKind.from(from).asLoadable(), b = TypeKind.from(to).asLoadable();
        if (a != b) code.conversion(a, b);
    }

    private static void box(CodeBuilder code, ClassDesc primitive) {
        ClassDesc w = wrapper(primitive);
        code.invokestatic(w, "valueOf", MethodTypeDesc.of(w, primitive));
    }

    private static final Map<String, String> WRAPPERS = Map.of("Z", "Boolean", "B", "Byte", "S", "Short", "C", "Character",
        "I", "Integer", "J", "Long", "F", "Float", "D", "Double");

    private static ClassDesc wrapper(ClassDesc primitive) {
        return ClassDesc.of("java.lang." + WRAPPERS.get(primitive.descriptorString()));
    }

    private static ClassDesc primitiveOf(ClassDesc wrapper) {
        for (var e : WRAPPERS.entrySet())
            if (wrapper.descriptorString().equals("Ljava/lang/" + e.getValue() + ";")) return ClassDesc.ofDescriptor(e.getKey());
        return null;
    }
}
