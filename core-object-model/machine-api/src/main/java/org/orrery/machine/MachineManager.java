package org.orrery.machine;

import org.osgi.annotation.versioning.ProviderType;

import java.util.List;
import java.util.Optional;

/** Creates and tracks the machines of the container. */
@ProviderType
public interface MachineManager {
    /** Creates an empty machine (no board yet, state preconfig) with its own tree and thread. */
    Machine create(String name);

    Optional<Machine> find(String name);

    List<Machine> machines();

    /** Stops the machine's thread and deletes its tree. */
    void destroy(Machine machine);
}
