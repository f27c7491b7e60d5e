/*
 * Atomics stress for the SMP end-to-end test: every hart of a -bios none virt machine hammers counters it
 * shares with the others, for SECONDS of guest time, then hart 0 checks that no update was lost.
 *
 * Per round, each hart does: amoadd.d and amoadd.w on shared counters; an lr.d/sc.d increment; lr.w/sc.w
 * increments of two words that share one doubleword (a reservation on one must not lose the other's
 * update); a plain increment under an amoswap.w.aq spin lock (with an owner check inside); amoxor of its
 * own bit (toggled twice, so the word ends at zero) and amomaxu of a rising value. Hart 0 prints one
 * "stress ..." line and ends the machine through the SiFive test device: pass 0x5555, fail 0x13333.
 *
 * Built with -DSCALING it is benchmarks/smp-scaling.sh's guest instead: the harts split a fixed amount of
 * hashing between them and hart 0 prints "scaling harts N ticks T sum S" (T in timebase ticks).
 */
#include <stdint.h>

#ifndef SECONDS
#define SECONDS 10
#endif
#define TIMEBASE 10000000u  /* the virt board's timebase-frequency */
#define MAX_HARTS 16

#define UART ((volatile uint8_t *)0x10000000)
#define TEST_DEVICE ((volatile uint32_t *)0x100000)

static void put_char(char c) { while (!(UART[5] & 0x20)) {} UART[0] = c; }
static void put_text(const char *s) { while (*s) put_char(*s++); }
static void put_decimal(uint64_t v) {
    char digits[21];
    int n = 0;
    do { digits[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n) put_char(digits[--n]);
}

static uint32_t big_endian32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Harts in the device tree: the nodes named cpu@N (a flattened tree walk; structure tokens only). */
static unsigned harts_in_tree(const uint8_t *tree) {
    enum { BEGIN_NODE = 1, END_NODE = 2, PROP = 3, NOP = 4 };
    if (big_endian32(tree) != 0xd00dfeedu) return 1;
    const uint8_t *p = tree + big_endian32(tree + 8);
    unsigned cpus = 0;
    for (;;) {
        uint32_t token = big_endian32(p);
        p += 4;
        if (token == BEGIN_NODE) {
            const char *name = (const char *)p;
            unsigned len = 0;
            while (name[len]) len++;
            if (len > 4 && name[0] == 'c' && name[1] == 'p' && name[2] == 'u' && name[3] == '@') cpus++;
            p += (len + 4) & ~3u;
        } else if (token == PROP) {
            p += 8 + ((big_endian32(p) + 3) & ~3u);
        } else if (token != END_NODE && token != NOP) {
            break;
        }
    }
    return cpus ? cpus : 1;
}

static inline uint64_t read_time(void) { uint64_t t; __asm__ volatile("rdtime %0" : "=r"(t)); return t; }

struct shared {
    volatile uint64_t amo64;
    volatile uint32_t amo32;
    volatile uint32_t toggles;
    volatile uint64_t lrsc64;
    volatile uint32_t lrsc32_low;       /* these two words share one doubleword */
    volatile uint32_t lrsc32_high;
    volatile uint32_t lock;
    volatile uint32_t lock_owner;
    volatile uint64_t locked;
    volatile uint64_t max;
    volatile uint32_t owner_violations;
    volatile uint32_t started, finished;
    volatile unsigned harts;
    volatile uint64_t rounds[MAX_HARTS];
};
static struct shared s;

static void lrsc_add64(volatile uint64_t *p) {
    uint64_t v, failed;
    do {
        __asm__ volatile("lr.d %0, (%1)" : "=&r"(v) : "r"(p) : "memory");
        v++;
        __asm__ volatile("sc.d %0, %2, (%1)" : "=&r"(failed) : "r"(p), "r"(v) : "memory");
    } while (failed);
}

static void lrsc_add32(volatile uint32_t *p) {
    uint32_t v, failed;
    do {
        __asm__ volatile("lr.w %0, (%1)" : "=&r"(v) : "r"(p) : "memory");
        v++;
        __asm__ volatile("sc.w %0, %2, (%1)" : "=&r"(failed) : "r"(p), "r"(v) : "memory");
    } while (failed);
}

static void lock_acquire(volatile uint32_t *lock) {
    uint32_t one = 1, old;
    do {
        __asm__ volatile("amoswap.w.aq %0, %2, (%1)" : "=&r"(old) : "r"(lock), "r"(one) : "memory");
    } while (old);
}

static void lock_release(volatile uint32_t *lock) {
    __asm__ volatile("amoswap.w.rl zero, zero, (%0)" : : "r"(lock) : "memory");
}

#ifdef SCALING
static uint64_t mix(uint64_t x) {
    x ^= x >> 31;
    x *= 0x9e3779b97f4a7c15ull;
    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9ull;
    return x ^ (x >> 32);
}

/* The scaling benchmark: SCALING_WORK hashes split between the harts, timed from the first hart's start. */
#define SCALING_WORK 320000000u
static volatile uint64_t scaling_sum, scaling_start;

static void scaling(uint64_t hart, unsigned harts) {
    if (hart == 0) scaling_start = read_time();
    uint64_t lo = SCALING_WORK / harts * hart, hi = hart == harts - 1 ? SCALING_WORK : SCALING_WORK / harts * (hart + 1), sum = 0;
    for (uint64_t i = lo; i < hi; i++) sum += mix(i);
    __atomic_fetch_add(&scaling_sum, sum, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&s.finished, 1, __ATOMIC_SEQ_CST);
    if (hart != 0) for (;;) __asm__ volatile("wfi");
    while (s.finished != harts) {}
    uint64_t ticks = read_time() - scaling_start;
    put_text("scaling harts "); put_decimal(harts);
    put_text(" ticks "); put_decimal(ticks);
    put_text(" sum "); put_decimal(scaling_sum); put_char('\n');
    *TEST_DEVICE = 0x5555;
    for (;;) {}
}
#endif

void hart_main(uint64_t hart, const uint8_t *tree) {
    if (hart == 0) s.harts = harts_in_tree(tree);
    else while (s.harts == 0) {}
    unsigned harts = s.harts;
    if (hart >= harts || hart >= MAX_HARTS) for (;;) __asm__ volatile("wfi");
    __atomic_fetch_add(&s.started, 1, __ATOMIC_SEQ_CST);
    while (s.started != harts) {}
#ifdef SCALING
    scaling(hart, harts);
#endif

    uint64_t end = read_time() + (uint64_t)SECONDS * TIMEBASE, rounds = 0;
    uint32_t bit = 1u << hart;
    while (read_time() < end) {
        for (int i = 0; i < 64; i++) {
            __atomic_fetch_add(&s.amo64, 1, __ATOMIC_RELAXED);
            __atomic_fetch_add(&s.amo32, 1, __ATOMIC_RELAXED);
            __atomic_fetch_xor(&s.toggles, bit, __ATOMIC_RELAXED);
            lrsc_add64(&s.lrsc64);
            lrsc_add32(hart & 1 ? &s.lrsc32_high : &s.lrsc32_low);
            lock_acquire(&s.lock);
            if (s.lock_owner != 0) s.owner_violations++;
            s.lock_owner = (uint32_t)hart + 1;
            s.locked = s.locked + 1;
            if (s.lock_owner != (uint32_t)hart + 1) s.owner_violations++;
            s.lock_owner = 0;
            lock_release(&s.lock);
            __atomic_fetch_xor(&s.toggles, bit, __ATOMIC_RELAXED);
            uint64_t mine = (rounds << 4 | hart) + 1;
            __asm__ volatile("amomaxu.d zero, %1, (%0)" : : "r"(&s.max), "r"(mine) : "memory");
            rounds++;
        }
    }
    s.rounds[hart] = rounds;
    __atomic_fetch_add(&s.finished, 1, __ATOMIC_SEQ_CST);
    if (hart != 0) for (;;) __asm__ volatile("wfi");
    while (s.finished != harts) {}

    uint64_t total = 0, odd = 0, highest = 0;
    for (unsigned h = 0; h < harts; h++) {
        total += s.rounds[h];
        if (h & 1) odd += s.rounds[h];
        uint64_t last = ((s.rounds[h] - 1) << 4 | h) + 1;
        if (s.rounds[h] && last > highest) highest = last;
    }
    int ok = s.amo64 == total && s.amo32 == (uint32_t)total && s.lrsc64 == total && s.lrsc32_high == (uint32_t)odd
            && s.lrsc32_low == (uint32_t)(total - odd) && s.locked == total && s.owner_violations == 0
            && s.toggles == 0 && s.max == highest;
    put_text("stress harts "); put_decimal(harts);
    put_text(" rounds "); put_decimal(total);
    put_text(" amo64 "); put_decimal(s.amo64);
    put_text(" amo32 "); put_decimal(s.amo32);
    put_text(" lrsc64 "); put_decimal(s.lrsc64);
    put_text(" lrsc32 "); put_decimal(s.lrsc32_low); put_char('+'); put_decimal(s.lrsc32_high);
    put_text(" locked "); put_decimal(s.locked);
    put_text(" violations "); put_decimal(s.owner_violations);
    put_text(" toggles "); put_decimal(s.toggles);
    put_text(" max "); put_decimal(s.max); put_char('/'); put_decimal(highest);
    put_text(ok ? " PASS\n" : " FAIL\n");
    *TEST_DEVICE = ok ? 0x5555 : 0x13333;
    for (;;) {}
}
