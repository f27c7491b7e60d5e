/* Display test guest for the virt board (-bios none, -global virtio-mmio.force-legacy=false): drives the modern
 * virtio-mmio interface of a virtio-gpu and a virtio-keyboard by polling.
 *  - gpu: a 320x200 X8R8G8B8 resource (bytes X, R, G, B) showing r = x*7, g = y*3, b = x+y (each mod 256) on
 *    scanout 0, then requests the device must refuse, each with its error response; prints "drawn" and "refusals ok".
 *  - input: keeps 8 event buffers in the event queue of each virtio-input device (up to two: a keyboard, a tablet)
 *    and prints "key CODE VALUE" for every key event and "abs AXIS VALUE" for every absolute-axis event. */
#include <stdint.h>

#define UART ((volatile uint8_t *)0x10000000)
#define W 320
#define H 200
#define QN 8

__asm__(".section .text.entry\n.globl _start\n_start:\n  bnez a0, 1f\n  la sp, stack_top\n  call main\n1: wfi\n  j 1b\n");
uint8_t stack[16384] __attribute__((aligned(16)));
__asm__(".globl stack_top\n.set stack_top, stack + 16384");

static void putc_(char c) { while (!(UART[5] & 0x20)) {} UART[0] = c; }
static void puts_(const char *s) { while (*s) putc_(*s++); }
static void putnum(uint32_t v) { char b[12]; int i = 0; do b[i++] = '0' + v % 10; while (v /= 10); while (i) putc_(b[--i]); }
static void fence(void) { __asm__ volatile("fence iorw, iorw" ::: "memory"); }
static void halt(void) { for (;;) __asm__ volatile("wfi"); }
void *memset(void *d, int c, unsigned long n) { volatile uint8_t *p = d; while (n--) *p++ = (uint8_t)c; return d; }
void *memcpy(void *d, const void *s, unsigned long n) { volatile uint8_t *p = d; const uint8_t *q = s; while (n--) *p++ = *q++; return d; }

static uint32_t rd(uintptr_t dev, uint32_t off) { return *(volatile uint32_t *)(dev + off); }
static void wr(uintptr_t dev, uint32_t off, uint32_t v) { *(volatile uint32_t *)(dev + off) = v; }

struct desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
struct avail { uint16_t flags, idx, ring[QN], used_event; };
struct used { uint16_t flags, idx; struct { uint32_t id, len; } ring[QN]; uint16_t avail_event; };
struct queue { struct desc d[QN]; struct avail a; uint8_t pad[4096 - QN * 16 - sizeof(struct avail)]; struct used u; uint16_t seen; };
static struct queue gpuq __attribute__((aligned(4096)));

static uintptr_t find(uint32_t id) {
    for (int i = 0; i < 8; i++) {
        uintptr_t b = 0x10001000u + 0x1000u * i;
        if (rd(b, 0) == 0x74726976 && rd(b, 8) == id) return b;
    }
    return 0;
}

static void setup(uintptr_t dev, struct queue *q) {
    wr(dev, 0x70, 0);
    wr(dev, 0x70, 1);
    wr(dev, 0x70, 3);
    wr(dev, 0x24, 1); wr(dev, 0x20, 1);              /* VIRTIO_F_VERSION_1 only */
    wr(dev, 0x24, 0); wr(dev, 0x20, 0);
    wr(dev, 0x70, 11);
    wr(dev, 0x30, 0);
    wr(dev, 0x38, QN);
    wr(dev, 0x80, (uint32_t)(uintptr_t)q->d); wr(dev, 0x84, 0);
    wr(dev, 0x90, (uint32_t)(uintptr_t)&q->a); wr(dev, 0x94, 0);
    wr(dev, 0xa0, (uint32_t)(uintptr_t)&q->u); wr(dev, 0xa4, 0);
    wr(dev, 0x44, 1);
    wr(dev, 0x70, 15);
}

/* ---- gpu ---- */
static uintptr_t gpu;
static uint32_t req[64] __attribute__((aligned(64)));
static uint32_t resp[128] __attribute__((aligned(64)));
static uint32_t fb[W * H] __attribute__((aligned(4096)));
static uint32_t failures;

static uint32_t command(uint32_t type, uint32_t len) {
    req[0] = type; req[1] = 0; req[2] = 0; req[3] = 0; req[4] = 0; req[5] = 0;
    resp[0] = 0;
    gpuq.d[0].addr = (uintptr_t)req; gpuq.d[0].len = len; gpuq.d[0].flags = 1; gpuq.d[0].next = 1;
    gpuq.d[1].addr = (uintptr_t)resp; gpuq.d[1].len = sizeof resp; gpuq.d[1].flags = 2; gpuq.d[1].next = 0;
    gpuq.a.ring[gpuq.a.idx % QN] = 0;
    fence();
    gpuq.a.idx++;
    fence();
    wr(gpu, 0x50, 0);
    while (gpuq.u.idx == gpuq.seen) fence();
    gpuq.seen++;
    wr(gpu, 0x64, rd(gpu, 0x60));
    return resp[0];
}

static void expect(const char *what, uint32_t got, uint32_t want) {
    if (got == want) return;
    puts_("gpu error: "); puts_(what); puts_(" answered "); putnum(got); puts_(", wanted "); putnum(want); puts_("\n");
    failures++;
}

static void put64(int at, uint64_t v) { req[at] = (uint32_t)v; req[at + 1] = (uint32_t)(v >> 32); }
static void rect(int at, uint32_t x, uint32_t y, uint32_t w, uint32_t h) { req[at] = x; req[at + 1] = y; req[at + 2] = w; req[at + 3] = h; }

static void draw(void) {
    expect("GET_DISPLAY_INFO", command(0x100, 24), 0x1101);
    req[6] = 1; req[7] = 4 /* X8R8G8B8 */; req[8] = W; req[9] = H;
    expect("RESOURCE_CREATE_2D", command(0x101, 40), 0x1100);
    req[6] = 1; req[7] = 1; put64(8, (uintptr_t)fb); req[10] = sizeof fb; req[11] = 0;
    expect("RESOURCE_ATTACH_BACKING", command(0x106, 48), 0x1100);
    rect(6, 0, 0, W, H); req[10] = 0; req[11] = 1;
    expect("SET_SCANOUT", command(0x103, 48), 0x1100);
    for (uint32_t y = 0; y < H; y++)
        for (uint32_t x = 0; x < W; x++) {
            uint8_t *p = (uint8_t *)&fb[y * W + x];
            p[0] = 0; p[1] = (uint8_t)(x * 7); p[2] = (uint8_t)(y * 3); p[3] = (uint8_t)(x + y);
        }
    fence();
    rect(6, 0, 0, W, H); put64(10, 0); req[12] = 1; req[13] = 0;
    expect("TRANSFER_TO_HOST_2D", command(0x105, 56), 0x1100);
    rect(6, 0, 0, W, H); req[10] = 1; req[11] = 0;
    expect("RESOURCE_FLUSH", command(0x104, 48), 0x1100);
    if (!failures) puts_("drawn\n");

    /* what the device must refuse */
    rect(6, 1, 0, W, H); put64(10, 0); req[12] = 1; req[13] = 0;
    expect("transfer past the right edge", command(0x105, 56), 0x1205);
    req[6] = 2; req[7] = 2; req[8] = 16384; req[9] = 16384;
    expect("a 1 GiB resource", command(0x101, 40), 0x1201);
    expect("command 0x999", command(0x999, 24), 0x1200);
    rect(6, 0, 0, W, H); req[10] = 5; req[11] = 1;
    expect("scanout 5", command(0x103, 48), 0x1202);
    rect(6, 0, 0, W, H); req[10] = 9; req[11] = 0;
    expect("flush of resource 9", command(0x104, 48), 0x1203);
    expect("a request shorter than its header", command(0x100, 8), 0x1200);
    if (!failures) puts_("refusals ok\n");
}

/* ---- input: every virtio-input device (a keyboard, a tablet), each with its own event queue ---- */
#define INPUTS 2
static struct queue inq[INPUTS] __attribute__((aligned(4096)));
static uint16_t events[INPUTS][QN][4];

static void offer(int d, int i) {
    struct queue *q = &inq[d];
    q->d[i].addr = (uintptr_t)events[d][i]; q->d[i].len = 8; q->d[i].flags = 2; q->d[i].next = 0;
    q->a.ring[q->a.idx % QN] = i;
    fence();
    q->a.idx++;
}

void main(void) {
    gpu = find(16);
    if (!gpu) { puts_("gpu error: no virtio-gpu\n"); halt(); }
    setup(gpu, &gpuq);
    draw();
    uintptr_t in[INPUTS];
    int n = 0;
    for (int i = 0; i < 8 && n < INPUTS; i++) {
        uintptr_t b = 0x10001000u + 0x1000u * i;
        if (rd(b, 0) == 0x74726976 && rd(b, 8) == 18) in[n++] = b;
    }
    for (int d = 0; d < n; d++) {
        setup(in[d], &inq[d]);
        for (int i = 0; i < QN; i++) offer(d, i);
        fence();
        wr(in[d], 0x50, 0);
    }
    puts_("input ready: "); putnum(n); puts_(" devices\n");
    for (;;) {
        fence();
        for (int d = 0; d < n; d++) {
            struct queue *q = &inq[d];
            while (q->u.idx != q->seen) {
                uint32_t id = q->u.ring[q->seen % QN].id;
                uint16_t *e = events[d][id];
                uint32_t value = e[2] | (uint32_t)e[3] << 16;
                if (e[0] == 1) { puts_("key "); putnum(e[1]); puts_(" "); putnum(value); puts_("\n"); }
                if (e[0] == 3) { puts_("abs "); putnum(e[1]); puts_(" "); putnum(value); puts_("\n"); }
                q->seen++;
                offer(d, id);
                fence();
                wr(in[d], 0x50, 0);
            }
            wr(in[d], 0x64, rd(in[d], 0x60));
        }
    }
}
