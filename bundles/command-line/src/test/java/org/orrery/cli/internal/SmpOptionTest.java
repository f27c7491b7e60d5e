package org.orrery.cli.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * -smp completes and checks its topology as QEMU 7.2 does on riscv64 virt; the expected counts and
 * messages are what qemu-system-riscv64 prints for the same arguments.
 */
class SmpOptionTest {
    private static long cpus(String argument) {
        return OptionValues.smp(new Option("smp", argument)).cpus();
    }

    private static String refusal(String argument) {
        return assertThrows(CommandLineException.class, () -> OptionValues.smp(new Option("smp", argument))).getMessage();
    }

    @Test void countsComeFromCpusMaxcpusOrTheHierarchy() {
        assertEquals(4, cpus("4"));
        assertEquals(4, cpus("cpus=4"));
        assertEquals(4, cpus("sockets=2,cores=2"));
        assertEquals(8, cpus("sockets=2,cores=2,threads=2"));
        assertEquals(6, cpus("sockets=2,threads=3"));
        assertEquals(2, cpus("cpus=2,maxcpus=4"));
        assertEquals(4, cpus("maxcpus=4"));
        assertEquals(4, cpus("cpus=4,sockets=2"));
        assertEquals(4, cpus("cpus=4,dies=1"));
        assertEquals(65, cpus("65"), "the board, not the option, knows its limit");
    }

    @Test void anInconsistentTopologyIsRefusedInQemusWords() {
        assertEquals("Invalid CPU topology: product of the hierarchy must match maxcpus: sockets (1) * cores (3) * threads (1) != maxcpus (4)",
                refusal("cpus=4,cores=3"));
        assertEquals("Invalid CPU topology: product of the hierarchy must match maxcpus: sockets (2) * cores (2) * threads (0) != maxcpus (3)",
                refusal("cpus=3,sockets=2,cores=2"));
        assertEquals("Invalid CPU topology: maxcpus must be equal to or greater than smp: sockets (1) * cores (2) * threads (1) == maxcpus (2) < smp_cpus (4)",
                refusal("cpus=4,maxcpus=2"));
        assertEquals("dies not supported by this machine's CPU topology", refusal("cpus=4,dies=2"));
        assertEquals("clusters not supported by this machine's CPU topology", refusal("cpus=4,clusters=2"));
        assertEquals("Parameter 'smp.books' is unexpected", refusal("4,books=2"));
        assertEquals("Parameter 'smp.cores' must be greater than zero", refusal("cores=0"));
        assertEquals("Invalid CPU topology: sockets (1152921504606846976) * cores (16) * threads (1) is too large",
                refusal("sockets=0x1000000000000000,cores=16"));
    }
}
