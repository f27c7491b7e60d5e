/**
 * Machine API: the console layer between display devices and display front-ends. A display device owns one
 * {@link org.orrery.machine.display.Console} per head and draws into its {@link org.orrery.machine.display.Surface};
 * front-ends (screendump, VNC) find consoles through the machine's {@link org.orrery.machine.display.Consoles} and
 * watch them as {@link org.orrery.machine.display.ConsoleListener}s. Input devices register as
 * {@link org.orrery.machine.display.InputReceiver}s there and front-ends send keys and pointer moves to whoever
 * listens. Neither side knows the other.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.orrery.machine.display;
