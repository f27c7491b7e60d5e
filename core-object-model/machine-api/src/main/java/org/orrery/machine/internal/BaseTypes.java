package org.orrery.machine.internal;

import org.orrery.machine.device.Board;
import org.orrery.machine.device.CpuDevice;
import org.orrery.machine.device.Device;
import org.orrery.machine.device.DeviceBus;
import org.orrery.qom.TypeDescription;
import org.orrery.qom.TypeProvider;
import org.osgi.service.component.annotations.Component;

/** The abstract types every device, CPU and board builds on. */
final class BaseTypes {
    private BaseTypes() { }

    @Component(service = TypeProvider.class)
    public static final class DeviceType implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named("device").parent("object").abstractType()
                    .description("The base of every device").property(Device.REALIZED);
        }
    }

    @Component(service = TypeProvider.class)
    public static final class SysBusDeviceType implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named("sys-bus-device").parent("device").abstractType()
                    .description("A device on the system bus: memory-mapped registers and platform interrupts");
        }
    }

    @Component(service = TypeProvider.class)
    public static final class BusType implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named(DeviceBus.TYPE).parent("object").abstractType()
                    .description("The base of every bus: where devices of one kind plug in (bus=)");
        }
    }

    @Component(service = TypeProvider.class)
    public static final class CpuType implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named("cpu").parent("device").abstractType()
                    .description("The base of every CPU").properties(CpuDevice.HART_ID, CpuDevice.RESET_VECTOR);
        }
    }

    @Component(service = TypeProvider.class)
    public static final class MachineType implements TypeProvider {
        @Override public TypeDescription describe() {
            return TypeDescription.named("machine").parent("object").abstractType()
                    .description("The base of every board (the object at /machine)")
                    .properties(Board.RAM_SIZE, Board.MEMORY_BACKEND, Board.CPU_TYPE, Board.SMP, Board.FIRMWARE,
                            Board.KERNEL, Board.INITRD, Board.APPEND, Board.DTB, Board.DUMPDTB, Board.SERIAL_CHARDEV);
        }
    }
}
