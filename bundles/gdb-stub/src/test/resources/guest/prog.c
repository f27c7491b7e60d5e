/* A tiny bare-metal guest for the gdb stub's end-to-end test. */
volatile long tally;
volatile double outcome;
static unsigned char stack_area[8192] __attribute__((aligned(16)));

long __attribute__((noinline)) cube_plus(long n) { return n * n * n + tally; }
double __attribute__((noinline)) halve_and_add(double x) { return x * 0.5 + 2.0; }

int main(void) {
    long acc = 0;
    double f = 3.0;
    for (long k = 0; k < 500; k++) {
        acc += cube_plus(k);
        tally = k;
        f = halve_and_add(f);
    }
    outcome = f + (double)acc;
    for (;;) { }
}

__attribute__((naked, section(".text.boot"))) void _start(void) {
    __asm__ volatile("li t0, 0x2000\n"      /* mstatus.FS = initial: enable the FPU */
                     "csrs mstatus, t0\n"
                     "la sp, %0 + 8192\n"
                     "call main\n"
                     "1: j 1b\n" :: "i"(stack_area));
}
