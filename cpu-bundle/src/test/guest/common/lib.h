#ifndef GUEST_LIB_H
#define GUEST_LIB_H
#include <stdint.h>
typedef uint64_t u64;
typedef int64_t i64;
typedef uint32_t u32;
typedef int32_t i32;

#define MAGIC_EXIT 0x5e7
#define UART ((volatile uint8_t *) 0x10000000UL)
#define FINISHER ((volatile uint32_t *) 0x100000UL)
#define CLINT_MSIP ((volatile uint32_t *) 0x2000000UL)
#define CLINT_MTIMECMP ((volatile uint64_t *) 0x2004000UL)
#define CLINT_MTIME ((volatile uint64_t *) 0x200bff8UL)

#define csr_read(csr) ({ u64 __v; asm volatile("csrr %0, " #csr : "=r"(__v) :: "memory"); __v; })
#define csr_write(csr, val) asm volatile("csrw " #csr ", %0" :: "rK"((u64)(val)) : "memory")
#define csr_set(csr, val) asm volatile("csrs " #csr ", %0" :: "rK"((u64)(val)) : "memory")
#define csr_clear(csr, val) asm volatile("csrc " #csr ", %0" :: "rK"((u64)(val)) : "memory")

void putch(int c);
void puts_(const char *s);
void puthex(u64 v);
void putdec(i64 v);
void kv(const char *k, u64 v);         /* prints "k=hex\n" */
void exit(int code) __attribute__((noreturn));
int check(const char *what, u64 got, u64 want);   /* prints a FAIL line on mismatch; returns 1 on mismatch */

/* trap handling */
struct frame { u64 x[32]; u64 pad[2]; };
typedef int (*trap_hook)(struct frame *f, u64 cause, u64 epc, u64 tval);
extern volatile trap_hook m_hook, s_hook;
extern volatile u64 last_cause, last_tval, last_epc, trap_count, last_priv;
extern volatile u64 resume_pc;
long enter_mode(int mode, long (*fn)(long), long arg);
void mode_exit(void);
extern char mtrap_vector[], mtrap_entry[], strap_entry[], _strap_stack_top[];
void report_trap(const char *what);   /* prints cause/tval of the last trap, then clears it */
#endif
