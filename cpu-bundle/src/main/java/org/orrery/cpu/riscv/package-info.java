/** RISC-V hart implementation; nothing exported, types are registered as services. */
package org.orrery.cpu.riscv;
