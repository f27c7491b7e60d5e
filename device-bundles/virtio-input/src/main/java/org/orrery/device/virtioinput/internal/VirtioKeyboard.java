package org.orrery.device.virtioinput.internal;

import org.orrery.machine.state.StateDescription;

import java.util.BitSet;

/** virtio-keyboard-device: a keyboard with every key code up to KEY_MICMUTE (248), as QEMU's offers its key map. */
final class VirtioKeyboard extends VirtioInput {
    static final String TYPE = "virtio-keyboard-device";
    private static final BitSet KEYS = new BitSet();
    static final StateDescription<VirtioKeyboard> STATE = inputState(TYPE, VirtioKeyboard.class).build();

    @Override public StateDescription<?> stateDescription() { return STATE; }

    static { KEYS.set(1, 249); }

    @Override String inputName() { return "QEMU Virtio Keyboard"; }
    @Override int product() { return 1; }

    @Override BitSet codes(int type) { return type == EV_KEY ? KEYS : new BitSet(); }

    @Override public Kind kind() { return Kind.KEYBOARD; }

    @Override public void key(int code, boolean down) {
        if (code > 0 && code < 249) event(EV_KEY, code, down ? 1 : 0);
    }
}
