package org.orrery.device.pci.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.orrery.command.AbstractCommandModule;
import org.orrery.command.CommandModule;
import org.orrery.device.pci.PciBar;
import org.orrery.device.pci.PciBus;
import org.orrery.device.pci.PciClassNames;
import org.orrery.device.pci.PciDevice;
import org.orrery.machine.device.DeviceBus;
import org.osgi.service.component.annotations.Component;

/** query-pci, as QEMU answers it: every PCI bus with its functions. */
@Component(service = CommandModule.class)
public final class PciCommands extends AbstractCommandModule {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    public PciCommands() {
        on("query-pci", (a, c) -> {
            ArrayNode out = F.arrayNode();
            for (DeviceBus b : DeviceBus.all(c.tree())) {
                if (!(b instanceof PciBus bus)) continue;
                ObjectNode info = out.addObject().put("bus", 0);
                ArrayNode devices = info.putArray("devices");
                for (int devfn = 0; devfn < 256; devfn++) {
                    PciDevice d = bus.function(devfn);
                    if (d != null) devices.add(describe(d));
                }
            }
            return out;
        });
    }

    static ObjectNode describe(PciDevice d) {
        ObjectNode o = F.objectNode();
        int devfn = d.devfn();
        o.put("bus", 0).put("slot", devfn >> 3).put("function", devfn & 7);
        int cls = (int) d.config(PciDevice.CLASS_PROG + 1, 2);
        ObjectNode ci = o.putObject("class_info");
        if (PciClassNames.of(cls) != null) ci.put("desc", PciClassNames.of(cls));
        ci.put("class", cls);
        o.putObject("id").put("device", d.word(PciDevice.DEVICE_ID)).put("vendor", d.word(PciDevice.VENDOR_ID))
                .put("subsystem", d.word(PciDevice.SUBSYSTEM_ID)).put("subsystem-vendor", d.word(PciDevice.SUBSYSTEM_VENDOR_ID));
        if (d.interruptPin() != 0) o.put("irq", d.config(PciDevice.INTERRUPT_LINE, 1));
        o.put("irq_pin", d.interruptPin());
        o.put("qdev_id", d.path().startsWith("/machine/peripheral/") ? d.name() : "");
        ArrayNode regions = o.putArray("regions");
        for (int i = 0; i < 6; i++) {
            PciBar bar = d.bar(i);
            if (bar == null) continue;
            ObjectNode r = regions.addObject().put("bar", i).put("type", bar.isIo() ? "io" : "memory")
                    .put("address", d.barMapping(i)).put("size", bar.size());
            if (!bar.isIo()) r.put("prefetch", bar.prefetchable()).put("mem_type_64", bar.kind() == PciBar.Kind.MEMORY64);
        }
        return o;
    }
}
