package org.orrery.shell.hmp.internal;

import org.orrery.shell.hmp.disasm.RiscvDisassembler;

/**
 * The x and xp commands: QEMU's /fmt syntax (count, format x d u o c i, size b h w g), remembered from
 * one use to the next as QEMU does, and QEMU's output layout.
 */
final class MemoryDump {
    /** Reads up to {@code length} bytes at {@code address}; returns how many could be read. */
    @FunctionalInterface
    interface Reader { int read(long address, byte[] dst, int length); }

    record Format(int count, char format, int size) { }

    private final RiscvDisassembler disassembler = new RiscvDisassembler();
    private char lastFormat = 'x';
    private int lastSize = 4;

    Format parse(String fmt, String command) {
        int count = 1;
        char format = lastFormat;
        int size = -1;
        if (fmt != null) {
            int i = 0;
            int start = i;
            while (i < fmt.length() && Character.isDigit(fmt.charAt(i))) i++;
            if (i > start) count = Integer.parseInt(fmt.substring(start, i));
            for (; i < fmt.length(); i++) {
                char c = fmt.charAt(i);
                switch (c) {
                    case 'x', 'd', 'u', 'o', 'c', 'i' -> format = c;
                    case 'b' -> size = 1;
                    case 'h' -> size = 2;
                    case 'w' -> size = 4;
                    case 'g' -> size = 8;
                    default -> throw new Hmp.HmpError("invalid char in format: '" + c + "'\nTry \"help " + command + "\" for more information");
                }
            }
        }
        if (format == 'c') size = 1;
        else if (size < 0) size = lastSize;
        lastFormat = format;
        if (format != 'i') lastSize = size;
        return new Format(count, format, size);
    }

    String render(Format f, long address, Reader reader, boolean virtual) {
        StringBuilder out = new StringBuilder();
        if (f.format() == 'i') return instructions(f.count(), address, reader);
        int size = f.size();
        int lineSize = size == 1 ? 8 : 16;
        int maxDigits = switch (f.format()) {
            case 'o' -> (size * 8 + 2) / 3;
            case 'x' -> (size * 8) / 4;
            case 'u', 'd' -> (size * 8 * 10 + 32) / 33;
            default -> 0;
        };
        long total = (long) f.count() * size;
        long addr = address;
        byte[] buf = new byte[16];
        while (total > 0) {
            out.append(String.format("%016x:", addr));
            int len = (int) Math.min(total, lineSize);
            int got = reader.read(addr, buf, len);
            if (got < len) {
                out.append(" Cannot access memory\n");
                return out.toString();
            }
            for (int i = 0; i < len; i += size) {
                long v = 0;
                for (int b = size - 1; b >= 0; b--) v = (v << 8) | (buf[i + b] & 0xffL);
                out.append(' ');
                switch (f.format()) {
                    case 'o' -> out.append(pad(v == 0 ? "0" : "0" + Long.toOctalString(v), maxDigits));
                    case 'x' -> out.append("0x").append(zeros(Long.toHexString(v), maxDigits));
                    case 'u' -> out.append(pad(Long.toUnsignedString(v), maxDigits));
                    case 'd' -> out.append(pad(Long.toString(v), maxDigits)); // QEMU reads zero-extended
                    case 'c' -> out.append(v >= 32 && v <= 126 ? "'" + (char) v + "'" : String.format("'\\x%02x'", v));
                    default -> { }
                }
            }
            out.append('\n');
            addr += len;
            total -= len;
        }
        return out.toString();
    }

    private String instructions(int count, long address, Reader reader) {
        StringBuilder out = new StringBuilder();
        long pc = address;
        byte[] b = new byte[4];
        for (int n = 0; n < count; n++) {
            if (reader.read(pc, b, 2) < 2) {
                out.append(String.format("0x%016x:  Cannot access memory%n", pc));
                break;
            }
            int low = (b[0] & 0xff) | (b[1] & 0xff) << 8;
            int len = RiscvDisassembler.length(low);
            int bits = low;
            if (len == 4) {
                if (reader.read(pc + 2, b, 2) < 2) {
                    out.append(String.format("0x%016x:  Cannot access memory%n", pc));
                    break;
                }
                bits |= ((b[0] & 0xff) | (b[1] & 0xff) << 8) << 16;
            }
            out.append(instructionLine(disassembler.decode(pc, bits), pc)).append('\n');
            pc += len;
        }
        return out.toString();
    }

    /** QEMU's layout: address, the encoding, the mnemonic in a 24-column field, operands, and the target as a comment. */
    static String instructionLine(RiscvDisassembler.Instruction i, long pc) {
        String hex = i.length() == 2 ? String.format("%04x", i.bits() & 0xffff) : String.format("%08x", i.bits());
        StringBuilder s = new StringBuilder(String.format("0x%016x:  %-18s%-24s", pc, hex, i.mnemonic()));
        if (i.target() != null) s.append(String.format("%-24s# 0x%x", i.operands(), i.target()));
        else s.append(i.operands());
        return s.toString();
    }

    private static String pad(String s, int width) { return s.length() >= width ? s : " ".repeat(width - s.length()) + s; }

    private static String zeros(String s, int width) { return s.length() >= width ? s : "0".repeat(width - s.length()) + s; }
}
