package org.orrery.backend.memory.internal;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Links guest RAM's mmap downcall ({@link NativeMemory}'s static initialiser, most of it the FFM linker setting
 * itself up, and the invoker of its first call) on a thread of its own as soon as the launcher lets the command
 * line build machines (its {@code orrery.launch=complete} marker): the board allocates its RAM some tens of
 * milliseconds later on the command line's thread, which then finds the handle ready, while the other core would
 * mostly idle. Without the launcher (tests, Pax Exam) there is no marker and it never activates.
 */
@Component(immediate = true)
public final class NativeMemoryPreparation {
    @Activate
    public NativeMemoryPreparation(@Reference(target = "(orrery.launch=complete)") Runnable launchComplete) {
        Thread.ofPlatform().name("orrery-prepare-memory").daemon(true).start(() -> {
            try {
                Class.forName(NativeMemory.class.getName(), true, NativeMemory.class.getClassLoader());
                NativeMemory.linkCall();
            } catch (ClassNotFoundException | LinkageError e) {
                // the first allocation reports it
            }
        });
    }
}
