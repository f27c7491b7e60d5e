#!/usr/bin/python3
"""python3-dbus client for the D-Bus front-end's tests and benchmark. Usage: client.py NAME ACTION [ARGS]."""
import sys, time, threading
import dbus

name, action = sys.argv[1], sys.argv[2]
args = sys.argv[3:]


def machine(bus=None):
    bus = bus or dbus.SessionBus(private=True)
    return dbus.Interface(bus.get_object(name, "/org/orrery/Machine", introspect=False), "org.orrery.Machine1")


def error_of(fn):
    try:
        fn()
        return "OK"
    except dbus.exceptions.DBusException as e:
        return e.get_dbus_name() + ": " + (e.get_dbus_message() or "")


if action == "bench":
    n = int(args[0])
    m = machine()
    m.QomGet("/machine", "type")
    t = time.perf_counter()
    for _ in range(n):
        m.QomGet("/machine", "type")
    dt = time.perf_counter() - t
    print("%d calls in %.3f s: %.0f calls/s" % (n, dt, n / dt))
elif action == "huge":
    n = int(args[0])
    opts = dbus.Dictionary({"k%d" % i: dbus.String("v" * 16, variant_level=1) for i in range(n)}, signature="sv")
    print(error_of(lambda: machine().DeviceAdd("test-device", opts)))
    print("after:", machine().QomGet("/machine", "type"))
elif action == "deep":
    depth = int(args[0])
    v = dbus.String("leaf", variant_level=1)
    for _ in range(depth):
        v = dbus.Dictionary({"a": v}, signature="sv", variant_level=1)
    print(error_of(lambda: machine().QomSet("/machine/peripheral/dev0", "label", v)))
    print("after:", machine().QomGet("/machine", "type"))
elif action == "hangup":
    # a call that takes a while, then the client goes away before the answer
    import dbus.lowlevel
    bus = dbus.SessionBus(private=True)
    msg = dbus.lowlevel.MethodCallMessage(name, "/org/orrery/Machine", "org.orrery.Machine1", "TestSleep")
    msg.append(dbus.Int64(int(args[0])))
    bus.send_message(msg)
    bus.flush()
    bus.close()
    print("gone")
elif action == "many":
    clients, calls = int(args[0]), int(args[1])
    results = []

    def worker():
        m = machine()
        ok = 0
        for _ in range(calls):
            if m.QomGet("/machine", "type") == "test-machine":
                ok += 1
        results.append(ok)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("ok", sum(results), "of", clients * calls)
else:
    sys.exit("unknown action " + action)
