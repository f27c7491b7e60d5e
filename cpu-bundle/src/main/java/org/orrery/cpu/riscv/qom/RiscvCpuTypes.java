package org.orrery.cpu.riscv.qom;

import org.orrery.qom.TypeDescription;
import org.orrery.qom.TypeProvider;
import org.osgi.service.component.annotations.Component;

/** The CPU types this bundle registers. */
final class RiscvCpuTypes {
    private RiscvCpuTypes() { }

    @Component(service = TypeProvider.class)
    public static final class Abstract implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named("riscv-cpu").parent("cpu").abstractType()
                    .description("A RISC-V hart")
                    .properties(RiscvCpu.EXT_M, RiscvCpu.EXT_A, RiscvCpu.EXT_F, RiscvCpu.EXT_D, RiscvCpu.EXT_C,
                            RiscvCpu.EXT_S, RiscvCpu.EXT_U, RiscvCpu.SSTC);
        }
    }

    @Component(service = TypeProvider.class)
    public static final class Rv64 implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named("rv64").parent("riscv-cpu").description("RV64GC hart with M, S and U modes")
                    .creates(() -> new RiscvCpu(64));
        }
    }

    @Component(service = TypeProvider.class)
    public static final class Rv32 implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named("rv32").parent("riscv-cpu").description("RV32GC hart with M, S and U modes")
                    .creates(() -> new RiscvCpu(32));
        }
    }
}
