package com.example.edu;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.orrery.command.AbstractCommandModule;
import org.orrery.command.CommandModule;
import org.orrery.qom.QObject;
import org.orrery.qom.QomException;
import org.osgi.service.component.annotations.Component;

/** edu-query-stats: declared in schema.json beside this class, present exactly while the bundle is. */
@Component(service = CommandModule.class)
public final class EduCommands extends AbstractCommandModule {
    public EduCommands() {
        on("edu-query-stats", (args, context) -> {
            String id = args.str("id", null);
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            for (QObject o : context.tree().all())
                if (o instanceof EduMmio edu && o.isRealized() && (id == null || id.equals(o.name()) || id.equals(o.path())))
                    out.add(edu.stats());
            if (id != null && out.isEmpty()) throw QomException.notFound("Device '" + id + "' not found");
            return out;
        });
    }
}
