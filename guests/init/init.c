/*
 * Orrery guest init: the first user-space program of the guest kernel (guests/linux).
 *
 * It mounts proc, sysfs and devtmpfs, prints the CPU, the kernel version and the PCI functions, runs a self-test
 * that prints one "SELFTEST <name>: PASS" or "SELFTEST <name>: FAIL <details>" line per item,
 * and then reads commands from the console (echo, cat, ls, store, poweroff, help). The SMP items use every
 * CPU the kernel brought online (one with a single hart).
 *
 * With a NIC and "ip=dhcp orrery.http=PORT orrery.serve=PORT" on the kernel command line it also checks the
 * network: the address DHCP gave eth0, an HTTP download of /pattern.bin from the host (10.0.2.2:PORT, the
 * host's loopback behind -netdev user), and a TCP server the host reaches through hostfwd.
 *
 * The same binary is its own helper: "/init --exit N" (run by the exec test) exits with N.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/rtc.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* What the end-to-end test (guests/linux-test) puts on the disk and expects back. */
#define DISK_DEVICE "/dev/vda"
#define DISK_MOUNT "/mnt"
#define DISK_INPUT DISK_MOUNT "/input.txt"
#define DISK_INPUT_TEXT "Orrery disk input: the quick brown fox jumps over the lazy dog.\n"
#define DISK_PATTERN DISK_MOUNT "/pattern.bin"
#define DISK_PATTERN_SIZE (1u << 20)
#define DISK_OUTPUT DISK_MOUNT "/written-by-guest.txt"
#define DISK_OUTPUT_TEXT "Orrery guest init wrote this file through virtio-blk.\n"

static int passed, failed;

static void result(const char *name, int ok, const char *fmt, ...)
{
    char details[512] = "";
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(details, sizeof details, fmt, ap);
        va_end(ap);
    }
    if (ok) {
        passed++;
        printf("SELFTEST %s: PASS%s%s\n", name, details[0] ? " " : "", details);
    } else {
        failed++;
        printf("SELFTEST %s: FAIL %s\n", name, details);
    }
    fflush(stdout);
}

/* The byte at offset i of the disk's pattern file (the test writes the same bytes). */
static unsigned char pattern_byte(uint32_t i)
{
    return (unsigned char)((i * 2654435761u) >> 24 ^ i);
}

static double now(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void print_file(const char *path)
{
    char buf[4096];
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("cannot open %s: %s\n", path, strerror(errno));
        return;
    }
    ssize_t n;
    fflush(stdout);
    while ((n = read(fd, buf, sizeof buf)) > 0)
        if (write(1, buf, n) != n)
            break;
    close(fd);
}

/* ---- self-tests ----------------------------------------------------------------------- */

static void test_fork_exec_wait(void)
{
    pid_t pid = fork();
    if (pid < 0) {
        result("fork-exec-wait", 0, "fork: %s", strerror(errno));
        return;
    }
    if (pid == 0) {
        execl("/init", "/init", "--exit", "42", (char *)NULL);
        _exit(127);
    }
    int status;
    pid_t got = waitpid(pid, &status, 0);
    if (got != pid)
        result("fork-exec-wait", 0, "waitpid returned %d: %s", got, strerror(errno));
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 42)
        result("fork-exec-wait", 0, "child status 0x%x, expected exit 42", status);
    else
        result("fork-exec-wait", 1, "(child %d exec'd /init --exit 42, exit status 42)", pid);
}

static void test_pipe(void)
{
    enum { TOTAL = 1 << 20 };
    int fds[2];
    if (pipe(fds) < 0) {
        result("pipe", 0, "pipe: %s", strerror(errno));
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        unsigned char buf[3000];
        uint32_t off = 0;
        while (off < TOTAL) {
            size_t n = TOTAL - off < sizeof buf ? TOTAL - off : sizeof buf;
            for (size_t i = 0; i < n; i++)
                buf[i] = pattern_byte(off + i);
            if (write(fds[1], buf, n) != (ssize_t)n)
                _exit(1);
            off += n;
        }
        _exit(0);
    }
    close(fds[1]);
    unsigned char buf[4096];
    uint32_t off = 0, bad = 0;
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] != pattern_byte(off + i) && !bad++)
                printf("pipe: byte %u is 0x%02x, expected 0x%02x\n", off + (uint32_t)i, buf[i],
                       pattern_byte(off + i));
        off += n;
    }
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    if (off != TOTAL || bad || !WIFEXITED(status) || WEXITSTATUS(status))
        result("pipe", 0, "received %u of %u bytes, %u wrong, writer status 0x%x", off, TOTAL, bad,
               status);
    else
        result("pipe", 1, "(1 MiB through a pipe between two processes)");
}

static void test_mmap(void)
{
    enum { PAGES = 4096 };
    long page = sysconf(_SC_PAGESIZE);
    size_t size = (size_t)PAGES * page;
    unsigned char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        result("mmap-anonymous", 0, "mmap: %s", strerror(errno));
        return;
    }
    for (size_t i = 0; i < PAGES; i++) {
        if (p[i * page] != 0) {
            result("mmap-anonymous", 0, "fresh page %zu is not zero", i);
            return;
        }
        p[i * page] = (unsigned char)i;
        p[i * page + page - 1] = (unsigned char)~i;
    }
    size_t bad = 0;
    for (size_t i = 0; i < PAGES; i++)
        if (p[i * page] != (unsigned char)i || p[i * page + page - 1] != (unsigned char)~i)
            bad++;
    /* Copy-on-write: the child's writes must not show in the parent. */
    pid_t pid = fork();
    if (pid == 0) {
        for (size_t i = 0; i < PAGES; i++)
            p[i * page] = 0xA5;
        for (size_t i = 0; i < PAGES; i++)
            if (p[i * page] != 0xA5)
                _exit(1);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    size_t cow_bad = 0;
    for (size_t i = 0; i < PAGES; i++)
        if (p[i * page] != (unsigned char)i)
            cow_bad++;
    munmap(p, size);
    if (bad || cow_bad || !WIFEXITED(status) || WEXITSTATUS(status))
        result("mmap-anonymous", 0, "%zu pages wrong, %zu pages changed by the child, child status 0x%x",
               bad, cow_bad, status);
    else
        result("mmap-anonymous", 1, "(%d pages touched, %zu KiB, copy-on-write after fork)", PAGES,
               size / 1024);

    /* A private file mapping: reads the file, writes stay private. */
    const char *path = "/selftest-mapped.bin";
    size_t fsize = 16 * page;
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    unsigned char *buf = malloc(fsize);
    for (size_t i = 0; i < fsize; i++)
        buf[i] = pattern_byte(i);
    if (fd < 0 || write(fd, buf, fsize) != (ssize_t)fsize) {
        result("mmap-file-private", 0, "cannot write %s: %s", path, strerror(errno));
        free(buf);
        return;
    }
    unsigned char *m = mmap(NULL, fsize, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
        result("mmap-file-private", 0, "mmap: %s", strerror(errno));
        close(fd);
        free(buf);
        return;
    }
    int ok = memcmp(m, buf, fsize) == 0;
    for (size_t i = 0; i < fsize; i += page)
        m[i] ^= 0xFF;
    unsigned char *back = malloc(fsize);
    int unchanged = pread(fd, back, fsize, 0) == (ssize_t)fsize && memcmp(back, buf, fsize) == 0;
    int private_seen = m[0] == (unsigned char)(buf[0] ^ 0xFF);
    munmap(m, fsize);
    close(fd);
    unlink(path);
    free(buf);
    free(back);
    if (!ok || !unchanged || !private_seen)
        result("mmap-file-private", 0, "content %s, file %s by private writes, private write %s",
               ok ? "ok" : "WRONG", unchanged ? "unchanged" : "CHANGED", private_seen ? "seen" : "LOST");
    else
        result("mmap-file-private", 1, "(%zu KiB file mapped MAP_PRIVATE)", fsize / 1024);
}

static uint64_t double_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* Sum of 1/i^2 for i = 1..100000 in this order: 0x3ffa519be5fbb345 in IEEE-754 double
 * arithmetic, and within 1e-5 of pi^2/6 (the tail is about 1/100000). */
static double basel(int n)
{
    volatile double s = 0;
    for (int i = 1; i <= n; i++)
        s += 1.0 / ((double)i * (double)i);
    return s;
}

static void test_fpu(void)
{
    char why[256] = "";
    volatile double tenth = 0.1, ten = 10, minus_one = -1, two = 2, three = 3;
    volatile float twof = 2.0f;
    double s = basel(100000);
    float r2 = sqrtf(twof);
    uint32_t r2bits;
    memcpy(&r2bits, &r2, sizeof r2bits);
    if (double_bits(s) != 0x3ffa519be5fbb345ull)
        snprintf(why, sizeof why, "sum 1/i^2 = %.17g (0x%016llx)", s, (unsigned long long)double_bits(s));
    else if (fabs(s - M_PI * M_PI / 6) > 1e-5)
        snprintf(why, sizeof why, "sum 1/i^2 = %.17g, far from pi^2/6", s);
    else if (double_bits(fma(tenth, ten, minus_one)) != 0x3c90000000000000ull)
        snprintf(why, sizeof why, "fma(0.1, 10, -1) = %g, expected 2^-54", fma(tenth, ten, minus_one));
    else if (double_bits(1.0 / three) != 0x3fd5555555555555ull)
        snprintf(why, sizeof why, "1/3 = %.17g", 1.0 / three);
    else if (r2bits != 0x3fb504f3u)
        snprintf(why, sizeof why, "sqrtf(2) = %.9g (0x%08x)", r2, r2bits);
    else if (sqrt(two) * sqrt(two) != 2.0000000000000004)
        snprintf(why, sizeof why, "sqrt(2)^2 = %.17g", sqrt(two) * sqrt(two));
    if (why[0]) {
        result("fpu", 0, "%s", why);
        return;
    }

    /* Two processes computing at once: the FP registers must survive every context switch. */
    pid_t pid = fork();
    if (pid == 0) {
        for (int round = 0; round < 20; round++) {
            volatile double x = 0;
            for (int i = 1; i <= 20000; i++) {
                x += 0.5 * i;
                if (i % 1000 == 0)
                    sched_yield();
            }
            if (x != 100005000.0)
                _exit(1);
        }
        _exit(0);
    }
    int bad = 0;
    for (int round = 0; round < 10; round++) {
        volatile double y = 0;
        for (int i = 1; i <= 20000; i++) {
            y += 1.0 / 1024 * i;
            if (i % 1000 == 0)
                sched_yield();
        }
        if (y != 20001.0 * 20000 / 2 / 1024)
            bad++;
    }
    int status;
    waitpid(pid, &status, 0);
    if (bad || !WIFEXITED(status) || WEXITSTATUS(status))
        result("fpu", 0, "FP state lost across context switches: parent %d bad rounds, child status 0x%x",
               bad, status);
    else
        result("fpu", 1, "(sum 1/i^2 = %.15f, fma, sqrt, FP state kept across context switches)", s);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1..12). */
static long days_from_civil(long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long)doe - 719468;
}

static int read_rtc(int fd, long *seconds)
{
    struct rtc_time t;
    if (ioctl(fd, RTC_RD_TIME, &t) < 0)
        return -1;
    *seconds = days_from_civil(t.tm_year + 1900, t.tm_mon + 1, t.tm_mday) * 86400L + t.tm_hour * 3600L +
               t.tm_min * 60L + t.tm_sec;
    return 0;
}

static void test_timers(void)
{
    int fd = open("/dev/rtc0", O_RDONLY);
    if (fd < 0) {
        result("nanosleep-rtc", 0, "/dev/rtc0: %s", strerror(errno));
        return;
    }
    long rtc0, rtc1;
    /* Start right after an RTC second ticks over, so the RTC measures to the second. */
    if (read_rtc(fd, &rtc0) < 0) {
        result("nanosleep-rtc", 0, "RTC_RD_TIME: %s", strerror(errno));
        close(fd);
        return;
    }
    double limit = now(CLOCK_MONOTONIC) + 3;
    do {
        struct timespec tick = {0, 5 * 1000 * 1000};
        nanosleep(&tick, NULL);
        read_rtc(fd, &rtc1);
    } while (rtc1 == rtc0 && now(CLOCK_MONOTONIC) < limit);
    rtc0 = rtc1;
    double real0 = now(CLOCK_REALTIME), mono0 = now(CLOCK_MONOTONIC);
    struct timespec ts = {3, 0};
    int rc = nanosleep(&ts, NULL);
    double mono1 = now(CLOCK_MONOTONIC), real1 = now(CLOCK_REALTIME);
    read_rtc(fd, &rtc1);
    close(fd);
    double slept = mono1 - mono0;
    long rtc_slept = rtc1 - rtc0;
    double wall_vs_rtc = real1 - rtc1;
    if (rc != 0)
        result("nanosleep-rtc", 0, "nanosleep: %s", strerror(errno));
    else if (slept < 3.0 || slept > 4.5)
        result("nanosleep-rtc", 0, "nanosleep(3 s) took %.3f s by CLOCK_MONOTONIC", slept);
    else if (fabs(rtc_slept - slept) > 1.05)
        result("nanosleep-rtc", 0, "nanosleep(3 s) took %ld s by the RTC but %.3f s by CLOCK_MONOTONIC",
               rtc_slept, slept);
    else if (fabs(real1 - real0 - slept) > 0.1)
        result("nanosleep-rtc", 0, "CLOCK_REALTIME advanced %.3f s, CLOCK_MONOTONIC %.3f s",
               real1 - real0, slept);
    else if (wall_vs_rtc < -2 || wall_vs_rtc > 2)
        result("nanosleep-rtc", 0, "CLOCK_REALTIME is %.1f s away from the RTC", wall_vs_rtc);
    else if (rtc1 < days_from_civil(2023, 1, 1) * 86400L)
        result("nanosleep-rtc", 0, "the RTC says %ld s since 1970, before 2023", rtc1);
    else
        result("nanosleep-rtc", 1, "(nanosleep 3 s: %.3f s by CLOCK_MONOTONIC, %ld s by /dev/rtc0)", slept,
               rtc_slept);
}

static void test_preemption(void)
{
    /* A child that never yields: only the timer interrupt gives the CPU back to us. */
    pid_t pid = fork();
    if (pid == 0)
        for (volatile unsigned long i = 0;; i++)
            ;
    double start = now(CLOCK_MONOTONIC);
    struct timespec ts = {0, 200 * 1000 * 1000};
    nanosleep(&ts, NULL);
    double woke = now(CLOCK_MONOTONIC) - start;
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    if (woke > 1.0 || !WIFSIGNALED(status))
        result("preemption", 0, "a 200 ms sleep beside a spinning process took %.3f s", woke);
    else
        result("preemption", 1, "(200 ms sleep beside a busy process: %.3f s)", woke);
}

static int read_whole(const char *path, unsigned char *buf, size_t size, size_t *got)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    size_t off = 0;
    ssize_t n;
    while (off < size && (n = read(fd, buf + off, size - off)) > 0)
        off += n;
    close(fd);
    *got = off;
    return 0;
}

static void test_disk(void)
{
    struct stat st;
    if (stat(DISK_DEVICE, &st) < 0) {
        result("virtio-blk-ext2", 0, "no %s (no virtio-blk disk attached?)", DISK_DEVICE);
        return;
    }
    mkdir(DISK_MOUNT, 0755);
    if (mount(DISK_DEVICE, DISK_MOUNT, "ext2", 0, NULL) < 0) {
        result("virtio-blk-ext2", 0, "mount %s as ext2: %s", DISK_DEVICE, strerror(errno));
        return;
    }
    char text[256] = "";
    size_t got = 0;
    unsigned char *pattern = malloc(DISK_PATTERN_SIZE + 1);
    size_t pattern_got = 0, bad = 0;
    int input_ok = read_whole(DISK_INPUT, (unsigned char *)text, sizeof text - 1, &got) == 0;
    text[got] = 0;
    int pattern_ok = read_whole(DISK_PATTERN, pattern, DISK_PATTERN_SIZE + 1, &pattern_got) == 0;
    for (size_t i = 0; i < pattern_got; i++)
        if (pattern[i] != pattern_byte(i))
            bad++;
    free(pattern);
    if (!input_ok || strcmp(text, DISK_INPUT_TEXT) != 0) {
        result("virtio-blk-ext2", 0, "%s reads \"%s\" (%s)", DISK_INPUT, text, input_ok ? "wrong" : strerror(errno));
    } else if (!pattern_ok || pattern_got != DISK_PATTERN_SIZE || bad) {
        result("virtio-blk-ext2", 0, "%s: %zu bytes read, %zu wrong", DISK_PATTERN, pattern_got, bad);
    } else {
        int fd = open(DISK_OUTPUT, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ssize_t len = (ssize_t)strlen(DISK_OUTPUT_TEXT);
        int wrote = fd >= 0 && write(fd, DISK_OUTPUT_TEXT, len) == len && fsync(fd) == 0;
        int err = errno;
        if (fd >= 0)
            close(fd);
        sync();
        if (!wrote)
            result("virtio-blk-ext2", 0, "writing %s: %s", DISK_OUTPUT, strerror(err));
        else
            result("virtio-blk-ext2", 1, "(read %s and a 1 MiB pattern, wrote %s)", DISK_INPUT, DISK_OUTPUT);
    }
    if (umount(DISK_MOUNT) < 0)
        printf("umount %s: %s\n", DISK_MOUNT, strerror(errno));
}

/* ---- SMP: every CPU online, a parallel job, atomics across CPUs ---- */

#define PARALLEL_TOTAL 2000000u
#define ATOMIC_ROUNDS 100000

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

static uint64_t mix_range(uint64_t lo, uint64_t hi)
{
    uint64_t s = 0;
    for (uint64_t i = lo; i < hi; i++)
        s += mix(i);
    return s;
}

/* The CPUs the kernel brought up, as sysfs lists them ("0-3"). */
static void test_smp_online(void)
{
    char online[64] = "?";
    FILE *f = fopen("/sys/devices/system/cpu/online", "r");
    if (f) {
        if (!fgets(online, sizeof online, f))
            strcpy(online, "?");
        fclose(f);
        online[strcspn(online, "\n")] = 0;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN), configured = sysconf(_SC_NPROCESSORS_CONF);
    result("smp-online", n >= 1 && n == configured, "%ld CPUs online (%s) of %ld", n, online, configured);
}

/*
 * One process per online CPU, each pinned to its CPU, sums a hash over its share of a fixed range and
 * reports the sum and the CPU it ran on through a pipe; the parent checks the total against its own sum.
 */
static void test_smp_parallel(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1 || n > 64) {
        result("smp-parallel", 0, "sysconf says %ld CPUs", n);
        return;
    }
    int fds[2];
    if (pipe(fds) < 0) {
        result("smp-parallel", 0, "pipe: %s", strerror(errno));
        return;
    }
    double start = now(CLOCK_MONOTONIC);
    for (long c = 0; c < n; c++) {
        pid_t pid = fork();
        if (pid < 0) {
            result("smp-parallel", 0, "fork: %s", strerror(errno));
            return;
        }
        if (pid == 0) {
            cpu_set_t set;
            CPU_ZERO(&set);
            CPU_SET(c, &set);
            int pinned = sched_setaffinity(0, sizeof set, &set) == 0;
            uint64_t lo = PARALLEL_TOTAL / n * c, hi = c == n - 1 ? PARALLEL_TOTAL : PARALLEL_TOTAL / n * (c + 1);
            uint64_t msg[3] = {mix_range(lo, hi), (uint64_t)c, (uint64_t)(pinned ? sched_getcpu() : -1)};
            ssize_t w = write(fds[1], msg, sizeof msg);
            _exit(w == sizeof msg ? 0 : 1);
        }
    }
    close(fds[1]);
    uint64_t total = 0, msg[3];
    int reports = 0, misplaced = 0;
    while (read(fds[0], msg, sizeof msg) == sizeof msg) {
        total += msg[0];
        reports++;
        if (msg[2] != msg[1])
            misplaced++;
    }
    close(fds[0]);
    int status, clean = 1;
    while (wait(&status) > 0)
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            clean = 0;
    double took = now(CLOCK_MONOTONIC) - start;
    uint64_t expected = mix_range(0, PARALLEL_TOTAL);
    if (reports != n || total != expected || misplaced || !clean)
        result("smp-parallel", 0, "%d of %ld workers reported, %d not on their CPU, sum %016llx expected %016llx",
               reports, n, misplaced, (unsigned long long)total, (unsigned long long)expected);
    else
        result("smp-parallel", 1, "(%ld workers, one per CPU: %.2f s)", n, took);
}

/* Shared by the atomics test's threads. */
static volatile uint64_t amo_count, cas_count, locked_count;
static volatile int spin_lock;
static volatile int go;

static void *atomics_worker(void *arg)
{
    long cpu = (long)arg;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof set, &set);
    while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
        ;
    for (int i = 0; i < ATOMIC_ROUNDS; i++) {
        __atomic_fetch_add(&amo_count, 1, __ATOMIC_RELAXED);                 /* amoadd.d */
        uint64_t old = __atomic_load_n(&cas_count, __ATOMIC_RELAXED);
        while (!__atomic_compare_exchange_n(&cas_count, &old, old + 1, 1,    /* lr.d / sc.d */
                                            __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            ;
        while (__atomic_exchange_n(&spin_lock, 1, __ATOMIC_ACQUIRE))         /* amoswap.w.aq */
            ;
        locked_count = locked_count + 1;                                      /* plain load and store */
        __atomic_store_n(&spin_lock, 0, __ATOMIC_RELEASE);
    }
    return NULL;
}

/* One thread per CPU hammers three shared counters: no update may be lost. */
static void test_smp_atomics(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1 || n > 64) {
        result("smp-atomics", 0, "sysconf says %ld CPUs", n);
        return;
    }
    pthread_t threads[64];
    double start = now(CLOCK_MONOTONIC);
    for (long c = 0; c < n; c++)
        if (pthread_create(&threads[c], NULL, atomics_worker, (void *)c) != 0) {
            result("smp-atomics", 0, "pthread_create failed");
            return;
        }
    __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
    for (long c = 0; c < n; c++)
        pthread_join(threads[c], NULL);
    uint64_t want = (uint64_t)n * ATOMIC_ROUNDS;
    if (amo_count != want || cas_count != want || locked_count != want)
        result("smp-atomics", 0, "amoadd %llu, lr/sc %llu, under a lock %llu; expected %llu each",
               (unsigned long long)amo_count, (unsigned long long)cas_count, (unsigned long long)locked_count,
               (unsigned long long)want);
    else
        result("smp-atomics", 1, "(%ld threads x %d rounds: %.2f s)", n, ATOMIC_ROUNDS, now(CLOCK_MONOTONIC) - start);
}

static void test_hwrng(void)
{
    int fd = open("/dev/hwrng", O_RDONLY);
    if (fd < 0) {
        result("hwrng", 0, "/dev/hwrng: %s", strerror(errno));
        return;
    }
    /* Non-blocking reads polled against a deadline: a device that never answers fails the test
     * instead of hanging it (and needs no POSIX timers in the kernel). */
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    double deadline = now(CLOCK_MONOTONIC) + 20;
    unsigned char a[64], b[64];
    size_t na = 0, nb = 0;
    while (nb < sizeof b && now(CLOCK_MONOTONIC) < deadline) {
        unsigned char *dst = na < sizeof a ? a + na : b + nb;
        size_t want = na < sizeof a ? sizeof a - na : sizeof b - nb;
        ssize_t n = read(fd, dst, want);
        if (n > 0) {
            *(na < sizeof a ? &na : &nb) += n;
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            break;
        } else {
            struct timespec pause = {0, 10 * 1000 * 1000};
            nanosleep(&pause, NULL);
        }
    }
    int err = errno;
    close(fd);
    char name[64] = "?";
    int cfd = open("/sys/class/misc/hw_random/rng_current", O_RDONLY);
    if (cfd >= 0) {
        ssize_t l = read(cfd, name, sizeof name - 1);
        name[l > 0 ? l : 0] = 0;
        name[strcspn(name, "\n")] = 0;
        close(cfd);
    }
    int ones = 0;
    for (size_t i = 0; i < sizeof a; i++)
        ones += __builtin_popcount(a[i]);
    if (na != sizeof a || nb != sizeof b)
        result("hwrng", 0, "read %zu and %zu of 64 bytes in 20 s: %s", na, nb, na + nb < 128 ? strerror(err) : "");
    else if (memcmp(a, b, sizeof a) == 0 || ones < 160 || ones > 352)
        result("hwrng", 0, "bytes do not look random (%d of 512 bits set, two reads %s)", ones,
               memcmp(a, b, sizeof a) ? "differ" : "equal");
    else
        result("hwrng", 1, "(128 bytes from %s, %d of 512 bits set)", name, ones);
}

/* ---- the network (only with orrery.http= / orrery.serve= on the kernel command line) ---------- */

/* Bytes each network test moves: orrery.netsize=MiB (default 1; a benchmark asks for more). */
static uint32_t net_size = 1u << 20;

/* The value of "orrery.NAME=" on the kernel command line, or 0. */
static int cmdline_port(const char *name)
{
    char line[1024] = "";
    int fd = open("/proc/cmdline", O_RDONLY);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, line, sizeof line - 1);
    close(fd);
    line[n > 0 ? n : 0] = 0;
    char key[64];
    snprintf(key, sizeof key, "orrery.%s=", name);
    char *at = strstr(line, key);
    return at ? atoi(at + strlen(key)) : 0;
}

static void test_net_address(void)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "eth0");
    int r = s < 0 ? -1 : ioctl(s, SIOCGIFADDR, &ifr);
    int err = errno;
    if (s >= 0)
        close(s);
    if (r < 0) {
        result("net-dhcp", 0, "eth0 has no address: %s", strerror(err));
        return;
    }
    struct in_addr a = ((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr;
    result("net-dhcp", !strcmp(inet_ntoa(a), "10.0.2.15"), "(eth0 %s from DHCP)", inet_ntoa(a));
}

/* GET /pattern.bin from the host through the gateway; the body must be the pattern, net_size bytes. */
static void test_net_http(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "10.0.2.2", &to.sin_addr);
    double t0 = now(CLOCK_MONOTONIC);
    if (s < 0 || connect(s, (struct sockaddr *)&to, sizeof to) < 0) {
        result("net-http", 0, "connect to 10.0.2.2:%d: %s", port, strerror(errno));
        if (s >= 0)
            close(s);
        return;
    }
    const char *request = "GET /pattern.bin HTTP/1.0\r\nHost: 10.0.2.2\r\n\r\n";
    if (write(s, request, strlen(request)) != (ssize_t)strlen(request)) {
        result("net-http", 0, "write: %s", strerror(errno));
        close(s);
        return;
    }
    static unsigned char buf[65536];
    char head[1024];
    size_t head_len = 0, body = 0;
    uint32_t bad = 0;
    int in_body = 0;
    ssize_t n;
    while ((n = read(s, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            if (!in_body) {
                if (head_len < sizeof head - 1)
                    head[head_len++] = buf[i];
                head[head_len] = 0;
                if (head_len >= 4 && !memcmp(head + head_len - 4, "\r\n\r\n", 4))
                    in_body = 1;
                continue;
            }
            if (buf[i] != pattern_byte(body) && !bad++)
                printf("net-http: byte %zu is 0x%02x, expected 0x%02x\n", body, buf[i], pattern_byte(body));
            body++;
        }
    }
    double seconds = now(CLOCK_MONOTONIC) - t0;
    close(s);
    if (strncmp(head, "HTTP/1.", 7) || !strstr(head, " 200 "))
        result("net-http", 0, "no 200 answer: %.60s", head);
    else if (body != net_size || bad)
        result("net-http", 0, "%zu of %u bytes, %u wrong", body, net_size, bad);
    else
        result("net-http", 1, "(%u bytes from the host over HTTP in %.2f s, %.1f MiB/s)", net_size, seconds,
               net_size / seconds / 1048576);
}

/* Serves one connection on PORT (reached from the host through hostfwd): reads a line, answers with the
 * line's length and net_size bytes of the pattern. */
static void test_net_serve(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in at = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (s < 0 || bind(s, (struct sockaddr *)&at, sizeof at) < 0 || listen(s, 1) < 0) {
        result("net-serve", 0, "listen on %d: %s", port, strerror(errno));
        return;
    }
    struct timeval limit = {60, 0};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    printf("orrery-init: listening on port %d\n", port);
    int c = accept(s, NULL, NULL);
    close(s);
    if (c < 0) {
        result("net-serve", 0, "no connection within 60 s: %s", strerror(errno));
        return;
    }
    char line[256];
    size_t len = 0;
    char ch;
    while (len < sizeof line - 1 && read(c, &ch, 1) == 1 && ch != '\n')
        line[len++] = ch;
    line[len] = 0;
    char answer[300];
    int an = snprintf(answer, sizeof answer, "orrery guest got %zu bytes: %s\n", len, line);
    int ok = write(c, answer, an) == an;
    static unsigned char buf[65536];
    for (uint32_t off = 0; ok && off < net_size; off += sizeof buf) {
        for (size_t i = 0; i < sizeof buf; i++)
            buf[i] = pattern_byte(off + i);
        ok = write(c, buf, sizeof buf) == (ssize_t)sizeof buf;
    }
    close(c);
    result("net-serve", ok, "(answered '%s' and sent %u bytes)", line, net_size);
}

static void test_network(void)
{
    int http = cmdline_port("http"), serve = cmdline_port("serve"), mib = cmdline_port("netsize");
    if (!http && !serve)
        return;
    if (mib > 0 && mib <= 1024)
        net_size = (uint32_t)mib << 20;
    test_net_address();
    if (http)
        test_net_http(http);
    if (serve)
        test_net_serve(serve);
}

/* ---- the console prompt --------------------------------------------------------------- */

static void power_off(void)
{
    printf("orrery-init: powering off\n");
    fflush(stdout);
    sync();
    reboot(RB_POWER_OFF);
    printf("poweroff failed: %s\n", strerror(errno));
}

static void list_dir(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        printf("cannot list %s: %s\n", path, strerror(errno));
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            printf("%s%s\n", e->d_name, e->d_type == DT_DIR ? "/" : "");
    closedir(d);
}

/* "store FILE TEXT": writes TEXT and a newline to FILE on the disk (mounted for it), synced, so the host can read it. */
static void store_file(char *arg)
{
    char *text = arg + strcspn(arg, " \t");
    if (*text)
        *text++ = 0;
    if (!*arg || strchr(arg, '/')) {
        printf("usage: store FILE TEXT (FILE: a name at the disk's root)\n");
        return;
    }
    if (mount(DISK_DEVICE, DISK_MOUNT, "ext2", 0, NULL) < 0) {
        printf("cannot mount %s: %s\n", DISK_DEVICE, strerror(errno));
        return;
    }
    char path[512], line[1100];
    snprintf(path, sizeof path, "%s/%s", DISK_MOUNT, arg);
    int n = snprintf(line, sizeof line, "%s\n", text);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int ok = fd >= 0 && write(fd, line, (size_t)n) == n && fsync(fd) == 0;
    int err = errno;
    if (fd >= 0)
        close(fd);
    if (umount(DISK_MOUNT) < 0 && ok) {
        ok = 0;
        err = errno;
    }
    if (ok)
        printf("stored %d bytes in %s\n", n, arg);
    else
        printf("cannot store %s: %s\n", arg, strerror(err));
}

static void prompt(void)
{
    char line[1024];
    for (;;) {
        printf("orrery# ");
        fflush(stdout);
        if (!fgets(line, sizeof line, stdin)) {
            clearerr(stdin);
            sleep(1);
            continue;
        }
        line[strcspn(line, "\r\n")] = 0;
        char *cmd = line + strspn(line, " \t");
        char *arg = cmd + strcspn(cmd, " \t");
        if (*arg)
            *arg++ = 0;
        arg += strspn(arg, " \t");
        if (!*cmd)
            continue;
        if (!strcmp(cmd, "echo"))
            printf("%s\n", arg);
        else if (!strcmp(cmd, "cat"))
            *arg ? print_file(arg) : (void)printf("usage: cat FILE\n");
        else if (!strcmp(cmd, "ls"))
            list_dir(*arg ? arg : ".");
        else if (!strcmp(cmd, "store"))
            store_file(arg);
        else if (!strcmp(cmd, "poweroff"))
            power_off();
        else if (!strcmp(cmd, "help"))
            printf("commands: echo TEXT, cat FILE, ls [DIR], store FILE TEXT, poweroff, help\n");
        else
            printf("%s: unknown command (try help)\n", cmd);
    }
}

/* The first line of a sysfs attribute file, without its newline ("" when it cannot be read). */
static void read_attribute(const char *dir, const char *name, char *out, size_t size)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    out[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    if (fgets(out, (int)size, f))
        out[strcspn(out, "\n")] = 0;
    fclose(f);
}

/* One line per PCI function the kernel found, lspci-like: address, ids, class and the driver bound to it. */
static void list_pci(void)
{
    DIR *d = opendir("/sys/bus/pci/devices");
    if (!d) {
        printf("orrery-init: no PCI bus (%s)\n", strerror(errno));
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char dir[300], vendor[16], device[16], cls[16], link[512], driver[128] = "(none)";
        snprintf(dir, sizeof dir, "/sys/bus/pci/devices/%s", e->d_name);
        read_attribute(dir, "vendor", vendor, sizeof vendor);
        read_attribute(dir, "device", device, sizeof device);
        read_attribute(dir, "class", cls, sizeof cls);
        snprintf(link, sizeof link, "%s/driver", dir);
        char target[512];
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n > 0) {
            target[n] = 0;
            const char *slash = strrchr(target, '/');
            snprintf(driver, sizeof driver, "%s", slash ? slash + 1 : target);
        }
        printf("orrery-init: pci %s %s:%s class %s driver %s\n", e->d_name, vendor + (vendor[1] == 'x' ? 2 : 0),
               device + (device[1] == 'x' ? 2 : 0), cls, driver);
    }
    closedir(d);
}

static void mount_or_complain(const char *source, const char *target, const char *type)
{
    mkdir(target, 0755);
    if (mount(source, target, type, 0, NULL) < 0 && errno != EBUSY)
        printf("orrery-init: mount %s on %s: %s\n", type, target, strerror(errno));
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--exit"))
        return atoi(argv[2]);

    /* The initramfs has no /dev/console node: devtmpfs provides it. */
    mkdir("/dev", 0755);
    int devtmpfs = mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    int devtmpfs_errno = errno;
    if (fcntl(1, F_GETFD) < 0) {
        int fd = open("/dev/console", O_RDWR);
        if (fd >= 0) {
            dup2(fd, 0);
            dup2(fd, 1);
            dup2(fd, 2);
            if (fd > 2)
                close(fd);
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("ORRERY-INIT: started (pid %d)\n", getpid());
    if (devtmpfs < 0 && devtmpfs_errno != EBUSY)
        printf("orrery-init: mount devtmpfs on /dev: %s\n", strerror(devtmpfs_errno));
    mount_or_complain("proc", "/proc", "proc");
    mount_or_complain("sysfs", "/sys", "sysfs");

    struct utsname u;
    uname(&u);
    printf("orrery-init: kernel %s %s %s %s\n", u.sysname, u.release, u.version, u.machine);
    printf("orrery-init: /proc/cpuinfo:\n");
    print_file("/proc/cpuinfo");
    list_pci();

    double start = now(CLOCK_MONOTONIC);
    test_fork_exec_wait();
    test_pipe();
    test_mmap();
    test_fpu();
    test_preemption();
    test_timers();
    test_disk();
    test_hwrng();
    test_smp_online();
    test_smp_parallel();
    test_smp_atomics();
    test_network();
    printf("SELFTEST summary: %d passed, %d failed (%.2f s)\n", passed, failed, now(CLOCK_MONOTONIC) - start);
    printf("orrery-init: type help for commands\n");
    prompt();
    return 0;
}
