package org.orrery.shell.gogo.internal;

import org.apache.felix.service.command.Function;
import org.orrery.command.CommandLayer;
import org.orrery.machine.MachineManager;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Registers one Gogo function service per command of the command layer (osgi.command.scope=qmp,
 * osgi.command.function=NAME), following the layer's change events.
 */
@Component(immediate = true)
public final class QmpFunctionsComponent {
    private final QmpFunctions functions;

    @Activate
    public QmpFunctionsComponent(@Reference CommandLayer layer, @Reference MachineManager machines, BundleContext context) {
        Map<String, ServiceRegistration<Function>> regs = new ConcurrentHashMap<>();
        this.functions = new QmpFunctions(new Shell(layer, machines), new QmpFunctions.Registrar() {
            @Override public void register(String name, Function function) {
                Hashtable<String, Object> props = new Hashtable<>();
                props.put("osgi.command.scope", QmpFunctions.SCOPE);
                props.put("osgi.command.function", new String[]{name});
                regs.put(name, context.registerService(Function.class, function, props));
            }

            @Override public void unregister(String name) {
                ServiceRegistration<Function> r = regs.remove(name);
                if (r == null) return;
                try {
                    r.unregister();
                } catch (IllegalStateException e) {
                    // already gone with the bundle
                }
            }
        });
        functions.open();
    }

    @Deactivate
    void deactivate() { functions.close(); }
}
