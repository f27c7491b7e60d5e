# Every hart starts here with a0 = its hart id and a1 = the device tree (-bios none). Each takes its own
# 8 KiB stack below stacks_end and calls hart_main; harts beyond the stacks' room only wait.
    .section .text.start
    .globl _start
_start:
    li t0, 16
    bgeu a0, t0, 2f
    la sp, stacks_end
    slli t0, a0, 13
    sub sp, sp, t0
    call hart_main
2:  wfi
    j 2b
    .bss
    .balign 16
    .space 8192 * 16
stacks_end:
