# Start-up, M-mode trap entry and privilege-switch helpers shared by the guest tests.
#define MAGIC_EXIT 0x5e7
  .section .text.init
  .globl _start
_start:
  la sp, _stack_top
  la t0, _mtrap_stack_top
  csrw mscratch, t0
  la t0, __bss_start
  la t1, __bss_end
1:
  bgeu t0, t1, 2f
  sd zero, 0(t0)
  addi t0, t0, 8
  j 1b
2:
  li t0, (1 << 13)
  csrs mstatus, t0
  csrw fcsr, zero
  la t0, mtrap_entry
  csrw mtvec, t0
  call main
  call exit
3:
  j 3b

  .text
#define SAVE_ALL \
  sd x1, 8(sp); sd x3, 24(sp); sd x4, 32(sp); sd x5, 40(sp); sd x6, 48(sp); sd x7, 56(sp); \
  sd x8, 64(sp); sd x9, 72(sp); sd x10, 80(sp); sd x11, 88(sp); sd x12, 96(sp); sd x13, 104(sp); \
  sd x14, 112(sp); sd x15, 120(sp); sd x16, 128(sp); sd x17, 136(sp); sd x18, 144(sp); sd x19, 152(sp); \
  sd x20, 160(sp); sd x21, 168(sp); sd x22, 176(sp); sd x23, 184(sp); sd x24, 192(sp); sd x25, 200(sp); \
  sd x26, 208(sp); sd x27, 216(sp); sd x28, 224(sp); sd x29, 232(sp); sd x30, 240(sp); sd x31, 248(sp)
#define RESTORE_ALL \
  ld x1, 8(sp); ld x3, 24(sp); ld x4, 32(sp); ld x5, 40(sp); ld x6, 48(sp); ld x7, 56(sp); \
  ld x8, 64(sp); ld x9, 72(sp); ld x10, 80(sp); ld x11, 88(sp); ld x12, 96(sp); ld x13, 104(sp); \
  ld x14, 112(sp); ld x15, 120(sp); ld x16, 128(sp); ld x17, 136(sp); ld x18, 144(sp); ld x19, 152(sp); \
  ld x20, 160(sp); ld x21, 168(sp); ld x22, 176(sp); ld x23, 184(sp); ld x24, 192(sp); ld x25, 200(sp); \
  ld x26, 208(sp); ld x27, 216(sp); ld x28, 224(sp); ld x29, 232(sp); ld x30, 240(sp); ld x31, 248(sp)

  .globl mtrap_entry
  .align 6
mtrap_entry:
  csrrw sp, mscratch, sp
  addi sp, sp, -272
  SAVE_ALL
  csrr t0, mscratch
  sd t0, 16(sp)
  mv a0, sp
  call m_trap_c
  bnez a0, resume_m
  RESTORE_ALL
  addi sp, sp, 272
  csrrw sp, mscratch, sp
  mret

resume_m:
  ld a0, 80(sp)
  la t0, _mtrap_stack_top
  csrw mscratch, t0
  la t0, _strap_stack_top
  csrw sscratch, t0
  la t0, saved_m_sp
  ld sp, 0(t0)
  ld ra, 0(sp); ld s0, 8(sp); ld s1, 16(sp); ld s2, 24(sp); ld s3, 32(sp); ld s4, 40(sp)
  ld s5, 48(sp); ld s6, 56(sp); ld s7, 64(sp); ld s8, 72(sp); ld s9, 80(sp); ld s10, 88(sp); ld s11, 96(sp)
  addi sp, sp, 112
  ret

# Vectored M-mode table: all entries go to the same handler; the C side reads mcause.
  .globl mtrap_vector
  .align 8
mtrap_vector:
  .rept 16
  j mtrap_entry
  .endr

# long enter_mode(int mode, long (*fn)(long), long arg): runs fn(arg) in U (0) or S (1) mode
# until it returns (or calls mode_exit), then returns its result in M-mode.
  .globl enter_mode
enter_mode:
  addi sp, sp, -112
  sd ra, 0(sp); sd s0, 8(sp); sd s1, 16(sp); sd s2, 24(sp); sd s3, 32(sp); sd s4, 40(sp)
  sd s5, 48(sp); sd s6, 56(sp); sd s7, 64(sp); sd s8, 72(sp); sd s9, 80(sp); sd s10, 88(sp); sd s11, 96(sp)
  la t0, saved_m_sp
  sd sp, 0(t0)
  li t0, (3 << 11)
  csrc mstatus, t0
  slli t1, a0, 11
  csrs mstatus, t1
  csrw mepc, a1
  mv a0, a2
  la ra, mode_exit
  la sp, _mode_stack_top
  mret

  .globl mode_exit
mode_exit:
  li a7, MAGIC_EXIT
  ecall
4:
  j 4b

  .globl strap_entry
  .align 6
strap_entry:
  csrrw sp, sscratch, sp
  addi sp, sp, -272
  SAVE_ALL
  csrr t0, sscratch
  sd t0, 16(sp)
  mv a0, sp
  call s_trap_c
  RESTORE_ALL
  addi sp, sp, 272
  csrrw sp, sscratch, sp
  sret

  .data
  .align 3
saved_m_sp:
  .dword 0
