package org.orrery.backend.chardev.internal;

import org.orrery.backend.testing.TestMachine;

import org.orrery.qom.TypeProvider;

import java.util.ArrayList;
import java.util.List;

final class ChardevTestSupport {
    private ChardevTestSupport() { }

    static TypeProvider[] providers() {
        return new TypeProvider[] {new ChardevTypes.Base(), new ChardevTypes.Null(), new ChardevTypes.Stdio(), new ChardevTypes.File(),
                new ChardevTypes.Socket(), new ChardevTypes.Pty(), new ChardevTypes.Ringbuf(), new ChardevTypes.Mux()};
    }

    static TestMachine machine() { return new TestMachine(providers()).module(new ChardevCommands()); }

    static List<String> chardevThreads() {
        List<String> out = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) if (t.isAlive() && t.getName().startsWith("chardev-")) out.add(t.getName());
        return out;
    }
}
