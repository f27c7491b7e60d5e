/* Compute-bound benchmark: sorting, hashing, integer and FP matrix multiply, linked-list processing.
 * Prints checksums so that runs can be compared. ROUNDS scales the run time. */
#include "common/lib.h"

#ifndef ROUNDS
#define ROUNDS 6
#endif

static u64 seed = 88172645463325252UL;
static u64 rnd(void) { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return seed; }

#define N_SORT 60000
static u32 arr[N_SORT];
static void quicksort(u32 *a, long lo, long hi) {
    while (lo < hi) {
        u32 p = a[(lo + hi) / 2];
        long i = lo, j = hi;
        while (i <= j) {
            while (a[i] < p) i++;
            while (a[j] > p) j--;
            if (i <= j) { u32 t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
        }
        if (j - lo < hi - i) { quicksort(a, lo, j); lo = i; } else { quicksort(a, i, hi); hi = j; }
    }
}
static u64 bench_sort(void) {
    for (int i = 0; i < N_SORT; i++) arr[i] = (u32) rnd();
    quicksort(arr, 0, N_SORT - 1);
    u64 h = 0;
    for (int i = 0; i < N_SORT; i += 97) h = h * 31 + arr[i];
    for (int i = 1; i < N_SORT; i++) if (arr[i - 1] > arr[i]) return 0xbad;
    return h;
}

#define N_HASH (256 * 1024)
static uint8_t buf[N_HASH];
static u64 bench_hash(void) {
    for (int i = 0; i < N_HASH; i++) buf[i] = (uint8_t) rnd();
    u64 h = 0xcbf29ce484222325UL;
    for (int r = 0; r < 4; r++)
        for (int i = 0; i < N_HASH; i++) { h ^= buf[i]; h *= 0x100000001b3UL; }
    u32 crc = ~0u;
    for (int i = 0; i < N_HASH; i++) {
        crc ^= buf[i];
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
    }
    return h ^ crc;
}

#define M 64
static i64 ma[M][M], mb[M][M], mc[M][M];
static double da[M][M], db[M][M], dc[M][M];
static u64 bench_matrix(void) {
    for (int i = 0; i < M; i++) for (int j = 0; j < M; j++) {
        ma[i][j] = (i64) (rnd() % 1000) - 500; mb[i][j] = (i64) (rnd() % 1000) - 500;
        da[i][j] = (double) (rnd() % 10000) / 100.0; db[i][j] = (double) (rnd() % 10000) / 300.0;
    }
    for (int i = 0; i < M; i++) for (int j = 0; j < M; j++) {
        i64 s = 0; double d = 0;
        for (int k = 0; k < M; k++) { s += ma[i][k] * mb[k][j]; d += da[i][k] * db[k][j]; }
        mc[i][j] = s; dc[i][j] = d;
    }
    u64 h = 0; double t = 0;
    for (int i = 0; i < M; i++) for (int j = 0; j < M; j++) { h = h * 1099511628211UL + (u64) mc[i][j]; t += dc[i][j]; }
    return h ^ (u64) (i64) (t * 1000.0);
}

#define N_LIST 40000
struct node { struct node *next; u64 val; };
static struct node nodes[N_LIST];
static u64 bench_list(void) {
    /* build a list in a shuffled order, then walk, filter and reverse it */
    static u32 perm[N_LIST];
    for (u32 i = 0; i < N_LIST; i++) perm[i] = i;
    for (u32 i = N_LIST - 1; i > 0; i--) { u32 j = (u32) (rnd() % (i + 1)); u32 t = perm[i]; perm[i] = perm[j]; perm[j] = t; }
    struct node *head = 0;
    for (u32 i = 0; i < N_LIST; i++) { struct node *n = &nodes[perm[i]]; n->val = rnd() & 0xffff; n->next = head; head = n; }
    u64 h = 0;
    for (int r = 0; r < 8; r++) {
        struct node *prev = 0, *cur = head;
        while (cur) { struct node *nx = cur->next; h += cur->val * (r + 1); if (cur->val & 1) cur->val >>= 1; else cur->val = cur->val * 3 + 1; cur->next = prev; prev = cur; cur = nx; }
        head = prev;
    }
    return h;
}

int main(void) {
    u64 total = 0;
#ifdef KERNEL_TIMES
    /* timebase ticks each kernel took over the second half of the rounds (after warm-up): bench/kernels.sh */
    u64 ticks[4] = {0, 0, 0, 0};
    for (int r = 0; r < ROUNDS; r++) {
        u64 t0 = csr_read(time);
        u64 s = bench_sort();
        u64 t1 = csr_read(time);
        u64 hh = bench_hash();
        u64 t2 = csr_read(time);
        u64 m = bench_matrix();
        u64 t3 = csr_read(time);
        u64 l = bench_list();
        u64 t4 = csr_read(time);
        if (r >= ROUNDS / 2) { ticks[0] += t1 - t0; ticks[1] += t2 - t1; ticks[2] += t3 - t2; ticks[3] += t4 - t3; }
        total ^= s + hh * 3 + m * 5 + l * 7;
    }
    kv("sort", ticks[0]);
    kv("hash", ticks[1]);
    kv("matrix", ticks[2]);
    kv("list", ticks[3]);
#else
    for (int r = 0; r < ROUNDS; r++) {
        u64 s = bench_sort(), hh = bench_hash(), m = bench_matrix(), l = bench_list();
        total ^= s + hh * 3 + m * 5 + l * 7;
    }
#endif
    kv("checksum", total);
    return 0;
}
