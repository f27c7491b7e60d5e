package org.orrery.device.virtioinput.internal;

import org.orrery.machine.state.StateDescription;

import java.util.BitSet;

/** virtio-tablet-device: an absolute pointer (0 .. 0x7fff each way) with three buttons and a wheel, as QEMU's. */
final class VirtioTablet extends VirtioInput {
    static final String TYPE = "virtio-tablet-device";
    static final int BTN_LEFT = 0x110, BTN_RIGHT = 0x111, BTN_MIDDLE = 0x112, REL_WHEEL = 8, ABS_X = 0, ABS_Y = 1;

    private int x = -1, y = -1, buttons;

    /** With the pointer position and buttons last reported (the next report sends only what changed). */
    static final StateDescription<VirtioTablet> STATE = inputState(TYPE, VirtioTablet.class)
            .i32("x", t -> t.x, (t, v) -> t.x = (int) v)
            .i32("y", t -> t.y, (t, v) -> t.y = (int) v)
            .i32("buttons", t -> t.buttons, (t, v) -> t.buttons = (int) v)
            .build();

    @Override public StateDescription<?> stateDescription() { return STATE; }

    @Override String inputName() { return "QEMU Virtio Tablet"; }
    @Override int product() { return 3; }

    @Override BitSet codes(int type) {
        return switch (type) {
            case EV_KEY -> bits(BTN_LEFT, BTN_RIGHT, BTN_MIDDLE);
            case EV_REL -> bits(REL_WHEEL);
            case EV_ABS -> bits(ABS_X, ABS_Y);
            default -> new BitSet();
        };
    }

    @Override int[] absRange(int axis) { return axis == ABS_X || axis == ABS_Y ? new int[] {0, ABS_MAX} : null; }

    @Override public Kind kind() { return Kind.POINTER; }

    @Override public void pointer(int newX, int newY, int newButtons) {
        int cx = Math.clamp(newX, 0, ABS_MAX), cy = Math.clamp(newY, 0, ABS_MAX);
        if (cx != x) event(EV_ABS, ABS_X, x = cx);
        if (cy != y) event(EV_ABS, ABS_Y, y = cy);
        int changed = buttons ^ newButtons;
        if ((changed & BUTTON_LEFT) != 0) event(EV_KEY, BTN_LEFT, (newButtons & BUTTON_LEFT) != 0 ? 1 : 0);
        if ((changed & BUTTON_MIDDLE) != 0) event(EV_KEY, BTN_MIDDLE, (newButtons & BUTTON_MIDDLE) != 0 ? 1 : 0);
        if ((changed & BUTTON_RIGHT) != 0) event(EV_KEY, BTN_RIGHT, (newButtons & BUTTON_RIGHT) != 0 ? 1 : 0);
        buttons = newButtons;
    }

    @Override public void wheel(int steps) { event(EV_REL, REL_WHEEL, steps); }

    @Override protected void deviceReset() {
        super.deviceReset();
        x = y = -1;
        buttons = 0;
    }
}
