package org.orrery.display.internal;

import org.orrery.machine.display.Console;
import org.orrery.machine.display.Consoles;
import org.orrery.machine.display.Surface;
import org.orrery.qom.ErrorClass;
import org.orrery.qom.ObjectTree;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * screendump: writes what a console shows to a file, PPM unless format=png, from the first console or the one of
 * device=/head=. The command runs with the machine stopped at a safe point, so the picture is one frame.
 */
final class Screendump {
    private Screendump() { }

    static void write(ObjectTree tree, String filename, String device, int head, boolean png) {
        Console console = console(tree, device, head);
        console.refresh();
        Surface s = console.surface();
        int[] pixels = s.snapshot();
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(Path.of(filename)), 1 << 16)) {
            if (png) ImageFiles.writePng(out, s.width(), s.height(), pixels);
            else ImageFiles.writePpm(out, s.width(), s.height(), pixels);
        } catch (IOException | java.nio.file.InvalidPathException e) {
            throw new QomException("failed to open file '" + filename + "': " + reason(e));
        }
    }

    /** The console screendump's arguments name, with QEMU's errors. */
    static Console console(ObjectTree tree, String device, int head) {
        Consoles consoles = Consoles.of(tree);
        if (device == null) {
            if (head != 0) throw new QomException("'head' must be specified together with 'device'");
            return consoles.primary().orElseThrow(() -> new QomException("There is no console to take a screendump from."));
        }
        QObject d = device.startsWith("/") ? tree.resolve(device) : tree.resolve("/machine/peripheral/" + device);
        if (d == null) throw new QomException(ErrorClass.DeviceNotFound, "Device '" + device + "' not found");
        return consoles.find(d.name(), head)
                .orElseThrow(() -> new QomException("Device " + device + " (head " + head + ") is not bound to a QemuConsole"));
    }

    private static String reason(Exception e) {
        if (e instanceof java.nio.file.AccessDeniedException) return "Permission denied";
        if (e instanceof java.nio.file.NoSuchFileException) return "No such file or directory";
        return e.getMessage();
    }
}
