package org.orrery.cpu.riscv.internal;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Loads the classes a hart is made of and runs their static initialisers (the translator's constants, the TLB
 * banks' layout) on a thread of its own as soon as the launcher lets the command line build machines (its
 * {@code orrery.launch=complete} marker): the board makes its harts some tens of milliseconds later on the
 * command line's thread, which then finds them ready, while the other core would mostly idle. Nothing runs
 * guest code here. Without the launcher (tests, Pax Exam) there is no marker and it never activates.
 */
@Component(immediate = true)
public final class HartClassPreparation {
    @Activate
    public HartClassPreparation(@Reference(target = "(orrery.launch=complete)") Runnable launchComplete) {
        Thread.ofPlatform().name("orrery-prepare-harts").daemon(true).start(() -> {
            for (Class<?> c : new Class<?>[] {RiscvHart.class, Mmu.class, TlbBank.class, Translator.class, RegionCompiler.class}) {
                try {
                    Class.forName(c.getName(), true, c.getClassLoader());
                } catch (ClassNotFoundException | LinkageError e) {
                    return;   // the hart's own construction will report it
                }
            }
        });
    }
}
