package org.orrery.display.internal;

import java.util.HashMap;
import java.util.Map;

/**
 * X keysyms (what RFB key events carry) to Linux input key codes (what virtio-keyboard passes on). The client sends
 * Shift separately, so a shifted character maps to its unshifted key ('A' and '!' to KEY_A and KEY_1), as on a US
 * keyboard.
 */
final class Keysyms {
    private static final Map<Integer, Integer> CODES = new HashMap<>();

    private Keysyms() { }

    private static void row(String chars, int firstCode) {
        for (int i = 0; i < chars.length(); i++) CODES.put((int) chars.charAt(i), firstCode + i);
    }

    private static void keys(int... pairs) {
        for (int i = 0; i < pairs.length; i += 2) CODES.put(pairs[i], pairs[i + 1]);
    }

    static {
        row("1234567890-=", 2);          // KEY_1 .. KEY_EQUAL
        row("!@#$%^&*()_+", 2);
        row("qwertyuiop[]", 16);         // KEY_Q .. KEY_RIGHTBRACE
        row("QWERTYUIOP{}", 16);
        row("asdfghjkl;'`", 30);         // KEY_A .. KEY_GRAVE
        row("ASDFGHJKL:\"~", 30);
        row("\\zxcvbnm,./", 43);         // KEY_BACKSLASH .. KEY_SLASH
        row("|ZXCVBNM<>?", 43);
        keys(' ', 57,
                0xff1b, 1, 0xff08, 14, 0xff09, 15, 0xfe20, 15, 0xff0d, 28, 0xffe3, 29, 0xffe1, 42, 0xffe2, 54,
                0xffe9, 56, 0xffe5, 58, 0xff7f, 69, 0xff14, 70, 0xffe4, 97, 0xffea, 100, 0xfe03, 100,
                0xff50, 102, 0xff52, 103, 0xff55, 104, 0xff51, 105, 0xff53, 106, 0xff57, 107, 0xff54, 108, 0xff56, 109,
                0xff63, 110, 0xffff, 111, 0xff13, 119, 0xffeb, 125, 0xffec, 126, 0xff67, 127, 0xff61, 99,
                // keypad
                0xffaa, 55, 0xffb7, 71, 0xffb8, 72, 0xffb9, 73, 0xffad, 74, 0xffb4, 75, 0xffb5, 76, 0xffb6, 77, 0xffab, 78,
                0xffb1, 79, 0xffb2, 80, 0xffb3, 81, 0xffb0, 82, 0xffae, 83, 0xff8d, 96, 0xffaf, 98);
        for (int f = 0; f < 10; f++) CODES.put(0xffbe + f, 59 + f);   // F1 .. F10
        CODES.put(0xffc8, 87);                                       // F11
        CODES.put(0xffc9, 88);                                       // F12
    }

    /** The key code for {@code keysym}, or 0 when there is none. */
    static int code(int keysym) { return CODES.getOrDefault(keysym, 0); }
}
