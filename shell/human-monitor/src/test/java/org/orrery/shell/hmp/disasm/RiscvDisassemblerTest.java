package org.orrery.shell.hmp.disasm;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Assembles a broad RV64GC sample with the GNU assembler at test time and checks every instruction
 * against what objdump makes of the same encoding.
 */
class RiscvDisassemblerTest {
    private static final Pattern LINE = Pattern.compile("^\\s*([0-9a-f]+):\\s+([0-9a-f]+)\\s+(\\S+)(?:\\s+(.*))?$");
    /** objdump writes some immediate forms with the register form's mnemonic (c.addi as "add a0,a0,1"). */
    private static final Set<String> IMMEDIATE_SPELLED_AS_REGISTER = Set.of("add", "sll", "srl", "sra", "and", "or", "xor",
            "addw", "sllw", "srlw", "sraw", "csrw", "csrs", "csrc", "csrrw", "csrrs", "csrrc");
    private static Path object;

    @BeforeAll
    static void assemble() throws Exception {
        Assumptions.assumeTrue(onPath("riscv64-unknown-elf-as") && onPath("riscv64-unknown-elf-objdump"),
                "binutils-riscv64-unknown-elf is not installed");
        Path dir = Files.createTempDirectory("disasm");
        Path src = dir.resolve("rv64gc.s");
        try (InputStream in = RiscvDisassemblerTest.class.getResourceAsStream("rv64gc.s")) {
            Files.write(src, in.readAllBytes());
        }
        object = dir.resolve("rv64gc.o");
        run("riscv64-unknown-elf-as", "-march=rv64gc", "-o", object.toString(), src.toString());
    }

    private static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":"))
            if (Files.isExecutable(Path.of(d, tool))) return true;
        return false;
    }

    private static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + ":\n" + out);
        return out;
    }

    record Expected(long address, int bits, int length, String mnemonic, String operands) { }

    private static List<Expected> objdump(String... options) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("riscv64-unknown-elf-objdump", "-d"));
        cmd.addAll(List.of(options));
        cmd.add(object.toString());
        List<Expected> out = new ArrayList<>();
        for (String line : run(cmd.toArray(String[]::new)).split("\n")) {
            Matcher m = LINE.matcher(line);
            if (!m.matches()) continue;
            String ops = m.group(4) == null ? "" : m.group(4).replaceAll("\\s*#.*$", "").replaceAll("\\s*<[^>]*>$", "").trim();
            out.add(new Expected(Long.parseLong(m.group(1), 16), (int) Long.parseLong(m.group(2), 16), m.group(2).length() / 2,
                    m.group(3), ops));
        }
        assertTrue(out.size() > 200, "objdump listed " + out.size() + " instructions");
        return out;
    }

    @Test
    void matchesObjdumpWithAliases() throws Exception {
        compare(new RiscvDisassembler(true), objdump(), false);
    }

    @Test
    void matchesObjdumpWithoutAliasesForFullSizeInstructions() throws Exception {
        compare(new RiscvDisassembler(false), objdump("-M", "no-aliases"), true);
    }

    private static void compare(RiscvDisassembler d, List<Expected> expected, boolean skipCompressed) {
        List<String> failures = new ArrayList<>();
        for (Expected e : expected) {
            if (skipCompressed && e.length() == 2) continue;
            RiscvDisassembler.Instruction i = d.decode(e.address(), e.bits());
            String want = normalize(e);
            String got = i.mnemonic() + " " + operandsWithAbsoluteTarget(i);
            if (i.length() != e.length()) failures.add(String.format("%x: length %d, objdump %d", e.address(), i.length(), e.length()));
            else if (!want.equals(got.trim()))
                failures.add(String.format("%x %08x: got '%s', objdump '%s'", e.address(), e.bits(), got.trim(), want));
        }
        assertTrue(failures.isEmpty(), failures.size() + " mismatches:\n" + String.join("\n", failures));
    }

    private static String operandsWithAbsoluteTarget(RiscvDisassembler.Instruction i) {
        if (i.target() == null) return i.operands();
        String ops = i.operands();
        int comma = ops.lastIndexOf(',');
        String prefix = comma < 0 ? "" : ops.substring(0, comma + 1);
        return prefix + Long.toHexString(i.target());
    }

    private static String normalize(Expected e) {
        String m = e.mnemonic();
        String ops = e.operands();
        String last = ops.contains(",") ? ops.substring(ops.lastIndexOf(',') + 1) : ops;
        if (IMMEDIATE_SPELLED_AS_REGISTER.contains(m) && last.matches("-?(0x[0-9a-f]+|[0-9]+)")) {
            m = switch (m) {
                case "and", "or", "xor" -> m + "i";
                case "csrw", "csrs", "csrc", "csrrw", "csrrs", "csrrc" -> m + "i";
                default -> m.endsWith("w") ? m.substring(0, m.length() - 1) + "iw" : m + "i";
            };
        }
        return (m + " " + ops).trim();
    }


    @Test
    void illegalAndLengths() {
        RiscvDisassembler d = new RiscvDisassembler();
        assertEquals("illegal", d.decode(0, 0x0000).mnemonic());
        assertEquals(2, RiscvDisassembler.length(0x4595));
        assertEquals(4, RiscvDisassembler.length(0x0297));
        assertEquals("auipc t0,0x0", d.decode(0x1000, 0x00000297).text());
        assertEquals("csrr a0,mhartid", d.decode(0x1008, 0xf1402573).text());
        assertEquals(0x1000L + 16, d.decode(0x1000, 0x00b50863).target());
    }
}
