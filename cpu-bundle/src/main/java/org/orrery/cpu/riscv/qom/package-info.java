/** The RISC-V CPU types as the object model sees them: riscv-cpu, rv64 and rv32. Private. */
package org.orrery.cpu.riscv.qom;
