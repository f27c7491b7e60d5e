#!/bin/sh
# Builds the guest test program: bare metal, linked at 0x80000000 (run it with -bios none -kernel).
set -e
cd "$(dirname "$0")"
mkdir -p ../target
riscv64-unknown-elf-gcc -march=rv64imac_zicsr -mabi=lp64 -mcmodel=medany -nostdlib -nostartfiles -ffreestanding \
    -O2 -Wl,--no-warn-rwx-segments -T link.ld start.S edu-test.c -o ../target/edu-test.elf
