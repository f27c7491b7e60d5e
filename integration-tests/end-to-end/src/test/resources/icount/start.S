# One hart (-bios none): a stack, then main; main ends the run through the SiFive test device.
    .section .text.start
    .globl _start
_start:
    la sp, stack_end
    call main
1:  wfi
    j 1b
    .bss
    .balign 16
    .space 16384
stack_end:
