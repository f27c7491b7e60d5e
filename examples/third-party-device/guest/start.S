# Entry: one stack, a zeroed .bss, then main(); main's return value becomes the exit status.
    .section .text.start
    .globl _start
_start:
    la sp, _stack_top
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
2:  call main
    call exit_guest
3:  j 3b
