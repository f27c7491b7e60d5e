package org.orrery.board.virt.internal;

import org.orrery.qom.TypeDescription;
import org.orrery.qom.TypeProvider;
import org.osgi.service.component.annotations.Component;

/** The "virt" machine: -machine virt. */
@Component(service = TypeProvider.class)
public final class VirtMachineType implements TypeProvider {
    @Override public TypeDescription describe() {
        return TypeDescription.named(VirtBoard.TYPE).parent("machine")
                .description("RISC-V VirtIO board (QEMU 7.2's virt memory map, interrupts and device tree)")
                .creates(VirtBoard::new);
    }
}
