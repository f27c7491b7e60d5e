/*
 * A bare-metal guest for the crash and interchange tests of the block layer: a virtio-blk driver (virtio-mmio
 * version 2, one queue, polled) that writes rounds of recognisable sectors and flushes after each, or reads
 * them back and checks them. Built at test time: -DMODE_WRITE or -DMODE_VERIFY, -DROUNDS=N.
 *
 * Layout (512-byte sectors): the common region (COMMON bytes at 0) is rewritten every round; round r also
 * fills a fresh region of FRESH bytes at COMMON * 2 + (r - 1) * FRESH, so every round allocates clusters.
 * Word i of sector s written in round r holds (r << 48) | (s << 8) | i.
 * Prints "flushed R" after each round's flush, "done" at the end, or "verify ok" / "verify BAD ..." and powers
 * the board off through the SiFive test device.
 *
 * -DMODE_BENCH (benchmarks/qcow2-guest.sh): 4 KiB requests over the first BENCH_MIB MiB, sequential write (then a
 * flush), sequential read, random write (then a flush), random read; prints "bench NAME requests=N us=T" for
 * each, timed with the ACLINT's mtime (10 MHz on the virt board).
 */
#include <stdint.h>

#ifndef ROUNDS
#define ROUNDS 20
#endif
#define COMMON (2u << 20)
#define FRESH (2u << 20)
#define CHUNK 4096u
#define SECTOR 512u

#define UART 0x10000000UL
#define MTIME 0x0200bff8UL
#ifndef BENCH_MIB
#define BENCH_MIB 32
#endif
#define TEST_DEVICE 0x100000UL
#define VIRTIO_FIRST 0x10001000UL
#define VIRTIO_SLOTS 8

__asm__(".section .text.start\n.globl _start\n_start:\n la sp, stack_top\n call main\n1: j 1b\n");


static inline uint32_t rd32(uintptr_t a) { return *(volatile uint32_t *)a; }
static inline void wr32(uintptr_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline void fence(void) { __asm__ volatile("fence rw, rw" ::: "memory"); }

static void putc_(char c) {
    while (!(*(volatile uint8_t *)(UART + 5) & 0x20)) { }
    *(volatile uint8_t *)UART = (uint8_t)c;
}
static void puts_(const char *s) { while (*s) putc_(*s++); }
static void putn(uint64_t v) {
    char b[24]; int n = 0;
    do { b[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n) putc_(b[--n]);
}
static void power_off(int ok) { wr32(TEST_DEVICE, ok ? 0x5555 : 0x13333); for (;;) { } }

/* the split virtqueue, 16 entries */
#define QN 16
struct desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
struct avail { uint16_t flags, idx, ring[QN], used_event; };
struct used_elem { uint32_t id, len; };
struct used { uint16_t flags, idx; struct used_elem ring[QN]; uint16_t avail_event; };
static struct desc descs[QN] __attribute__((aligned(16)));
static struct avail avail __attribute__((aligned(2)));
static struct used used __attribute__((aligned(4)));
static struct { uint32_t type, reserved; uint64_t sector; } req_header;
static volatile uint8_t req_status;
static uint64_t buffer[CHUNK / 8] __attribute__((aligned(16)));
static uintptr_t dev;
static uint16_t last_used;

static void fail(const char *what) { puts_("error: "); puts_(what); putc_('\n'); power_off(0); }

static void setup(void) {
    for (int i = VIRTIO_SLOTS - 1; i >= 0 && !dev; i--) {
        uintptr_t b = VIRTIO_FIRST + (uintptr_t)i * 0x1000;
        if (rd32(b) == 0x74726976 && rd32(b + 8) == 2) dev = b;
    }
    if (!dev) fail("no virtio-blk device");
    if (rd32(dev + 4) != 2) fail("virtio-mmio is not version 2 (QEMU: -global virtio-mmio.force-legacy=false)");
    wr32(dev + 0x70, 0);
    wr32(dev + 0x70, 1 | 2);
    wr32(dev + 0x14, 0); uint32_t lo = rd32(dev + 0x10);
    wr32(dev + 0x14, 1); uint32_t hi = rd32(dev + 0x10);
    if (!(lo & (1u << 9))) fail("no flush feature");
    if (!(hi & 1u)) fail("no VERSION_1");
    wr32(dev + 0x24, 0); wr32(dev + 0x20, 1u << 9);
    wr32(dev + 0x24, 1); wr32(dev + 0x20, 1);
    wr32(dev + 0x70, 1 | 2 | 8);
    if (!(rd32(dev + 0x70) & 8)) fail("features not accepted");
    wr32(dev + 0x30, 0);
    if (rd32(dev + 0x34) < QN) fail("queue too small");
    wr32(dev + 0x38, QN);
    wr32(dev + 0x80, (uint32_t)(uintptr_t)descs); wr32(dev + 0x84, 0);
    wr32(dev + 0x90, (uint32_t)(uintptr_t)&avail); wr32(dev + 0x94, 0);
    wr32(dev + 0xa0, (uint32_t)(uintptr_t)&used); wr32(dev + 0xa4, 0);
    wr32(dev + 0x44, 1);
    wr32(dev + 0x70, 1 | 2 | 8 | 4);
}

/* one request: type 0 read, 1 write, 4 flush; waits for it */
static void request(uint32_t type, uint64_t sector, void *data, uint32_t len) {
    req_header.type = type; req_header.reserved = 0; req_header.sector = sector;
    req_status = 0xff;
    descs[0] = (struct desc){(uint64_t)(uintptr_t)&req_header, 16, 1, 1};
    int n = 1;
    if (len) { descs[1] = (struct desc){(uint64_t)(uintptr_t)data, len, (uint16_t)(1 | (type == 0 ? 2 : 0)), 2}; n = 2; }
    descs[n - 1].next = (uint16_t)n;
    descs[n] = (struct desc){(uint64_t)(uintptr_t)&req_status, 1, 2, 0};
    avail.ring[avail.idx % QN] = 0;
    fence();
    avail.idx++;
    fence();
    wr32(dev + 0x50, 0);
    while (*(volatile uint16_t *)&used.idx == last_used) { }
    last_used++;
    fence();
    wr32(dev + 0x64, rd32(dev + 0x60));
    if (req_status != 0) fail(type == 4 ? "flush failed" : type == 1 ? "write failed" : "read failed");
}

static void fill(uint64_t round, uint64_t sector) {
    for (uint32_t s = 0; s < CHUNK / SECTOR; s++)
        for (uint32_t i = 0; i < SECTOR / 8; i++) buffer[s * (SECTOR / 8) + i] = round << 48 | (sector + s) << 8 | i;
}

static int matches(uint64_t round, uint64_t sector) {
    for (uint32_t s = 0; s < CHUNK / SECTOR; s++)
        for (uint32_t i = 0; i < SECTOR / 8; i++)
            if (buffer[s * (SECTOR / 8) + i] != (round << 48 | (sector + s) << 8 | i)) return 0;
    return 1;
}

/* chunk k of a region in a scrambled order (a stride coprime with the count), so allocations are not in order */
static uint32_t scrambled(uint32_t k, uint32_t count) { return (uint32_t)(((uint64_t)k * 97u + 13u) % count); }

static void write_chunk(uint64_t round, uint64_t base, uint32_t k, uint32_t chunks) {
    uint64_t sector = (base + (uint64_t)scrambled(k, chunks) * CHUNK) / SECTOR;
    fill(round, sector);
    request(1, sector, buffer, CHUNK);
}

static void verify_region(uint64_t round, uint64_t base, uint32_t bytes) {
    for (uint32_t k = 0; k < bytes / CHUNK; k++) {
        uint64_t sector = (base + (uint64_t)k * CHUNK) / SECTOR;
        request(0, sector, buffer, CHUNK);
        if (!matches(round, sector)) { puts_("verify BAD sector "); putn(sector); putc_('\n'); power_off(0); }
    }
}

#if defined(MODE_BENCH)
static uint64_t now_us(void) { return *(volatile uint64_t *)MTIME / 10; }

static void bench(const char *name, uint32_t type, int random) {
    uint32_t chunks = (uint32_t)BENCH_MIB * (1u << 20) / CHUNK;
    uint64_t t0 = now_us();
    for (uint32_t k = 0; k < chunks; k++) {
        uint32_t c = random ? scrambled(k * 7919u % chunks, chunks) : k;
        request(type, (uint64_t)c * (CHUNK / SECTOR), buffer, CHUNK);
    }
    if (type == 1) request(4, 0, 0, 0);
    uint64_t t = now_us() - t0;
    puts_("bench "); puts_(name); puts_(" requests="); putn(chunks); puts_(" us="); putn(t); putc_('\n');
}
#endif

int main(void) {
    setup();
#if defined(MODE_WRITE)
    for (uint64_t r = 1; r <= ROUNDS; r++) {
        /* rewrites and allocations interleaved, so a kill at any moment finds both in flight */
        for (uint32_t k = 0; k < COMMON / CHUNK; k++) {
            write_chunk(r, 0, k, COMMON / CHUNK);
            write_chunk(r, COMMON * 2 + (r - 1) * FRESH, k, FRESH / CHUNK);
        }
        request(4, 0, 0, 0);
        puts_("flushed "); putn(r); putc_('\n');
    }
    puts_("done\n");
#elif defined(MODE_BENCH)
    for (uint32_t i = 0; i < CHUNK / 8; i++) buffer[i] = 0x0123456789abcdefULL ^ i;
    bench("seq-write", 1, 0);
    bench("seq-read", 0, 0);
    bench("rand-write", 1, 1);
    bench("rand-read", 0, 1);
    puts_("done\n");
#elif defined(MODE_VERIFY)
    verify_region(ROUNDS, 0, COMMON);
    for (uint64_t r = 1; r <= ROUNDS; r++) verify_region(r, COMMON * 2 + (r - 1) * FRESH, FRESH);
    puts_("verify ok\n");
#else
#error "MODE_WRITE, MODE_VERIFY or MODE_BENCH"
#endif
    power_off(1);
    return 0;
}
