package org.orrery.device.testing;

import org.orrery.machine.cpu.Hart;
import org.orrery.machine.cpu.HartEnvironment;
import org.orrery.machine.device.CpuDevice;
import org.orrery.machine.testing.FakeHart;

/** A CPU device whose hart is a {@link FakeHart}; registered by {@link TestMachine} as type "rv64" unless told otherwise. */
public final class FakeCpu extends CpuDevice {
    @Override protected Hart createHart(HartEnvironment environment) { return new FakeHart((int) (long) get(HART_ID)); }

    @Override public String targetName() { return "riscv64"; }

    @Override public String isaString() { return "rv64imafdc_zicsr_zifencei"; }

    public FakeHart fakeHart() { return (FakeHart) hart(); }
}
