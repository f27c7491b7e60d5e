package org.orrery.cpu.riscv.internal;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Decoded pages by physical page number: an open-addressing table with primitive keys, so the store slow
 * path (which asks it on every store into a page that holds code) allocates nothing.
 */
final class PageMap {
    private static final long EMPTY = -1;
    private long[] keys = newKeys(64);
    private DecodedPage[] values = new DecodedPage[64];
    private int size;

    private static long[] newKeys(int n) {
        long[] k = new long[n];
        Arrays.fill(k, EMPTY);
        return k;
    }

    private static int slot(long key, int mask) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 40) & mask;
    }

    DecodedPage get(long pageNumber) {
        long[] k = keys;
        int mask = k.length - 1;
        for (int i = slot(pageNumber, mask); ; i = (i + 1) & mask) {
            long key = k[i];
            if (key == pageNumber) return values[i];
            if (key == EMPTY) return null;
        }
    }

    void put(long pageNumber, DecodedPage page) {
        if ((size + 1) * 2 > keys.length) grow();
        int mask = keys.length - 1;
        for (int i = slot(pageNumber, mask); ; i = (i + 1) & mask) {
            if (keys[i] == pageNumber) { values[i] = page; return; }
            if (keys[i] == EMPTY) { keys[i] = pageNumber; values[i] = page; size++; return; }
        }
    }

    private void grow() {
        long[] oldKeys = keys;
        DecodedPage[] oldValues = values;
        keys = newKeys(oldKeys.length * 2);
        values = new DecodedPage[oldKeys.length * 2];
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) if (oldKeys[i] != EMPTY) put(oldKeys[i], oldValues[i]);
    }

    int size() { return size; }

    void forEach(Consumer<DecodedPage> action) {
        for (int i = 0; i < keys.length; i++) if (keys[i] != EMPTY) action.accept(values[i]);
    }

    void clear() {
        keys = newKeys(64);
        values = new DecodedPage[64];
        size = 0;
    }
}
