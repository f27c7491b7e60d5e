package org.orrery.machine.job;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.orrery.command.AbstractCommandModule;
import org.orrery.command.CommandContext;
import org.orrery.command.CommandModule;
import org.orrery.qom.QomException;
import org.osgi.service.component.annotations.Component;

/** query-jobs and job-dismiss over the {@link Jobs} attached to the tree (a machine attaches its own). */
@Component(service = CommandModule.class)
public final class JobCommands extends AbstractCommandModule {
    public JobCommands() {
        on("query-jobs", (a, c) -> jobs(c).query());
        on("job-dismiss", (a, c) -> { jobs(c).dismiss(a.str("id")); return JsonNodeFactory.instance.objectNode(); });
    }

    private static Jobs jobs(CommandContext c) {
        Jobs j = c.tree().attachment(Jobs.class);
        if (j == null) throw new QomException("this command needs a machine");
        return j;
    }
}
