package org.orrery.machine.memory;

/** An access to a physical address where nothing is mapped. Rare by design: callers on hot paths look up sections instead. */
public final class BusError extends RuntimeException {
    private final long address;

    public BusError(long address, String what) {
        super(String.format("%s at unmapped physical address 0x%x", what, address), null, false, false);
        this.address = address;
    }

    public long address() { return address; }
}
