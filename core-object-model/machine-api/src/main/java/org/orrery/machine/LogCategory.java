package org.orrery.machine;

/** What -d can enable, named as QEMU names the categories. */
public enum LogCategory {
    GUEST_ERRORS("guest_errors", "log when the guest OS does something invalid (eg accessing a non-existent register)"),
    UNIMP("unimp", "log unimplemented functionality"),
    IN_ASM("in_asm", "show target assembly code for each compiled TB"),
    /** Orrery's own: when the machine was built and its guest began, in milliseconds since launch. */
    STARTUP("startup", "log start-up milestones (machine built, first guest instruction) with the time since launch");

    private final String option;
    private final String help;

    LogCategory(String option, String help) { this.option = option; this.help = help; }

    public String option() { return option; }
    public String help() { return help; }

    public static LogCategory byOption(String name) {
        for (LogCategory c : values()) if (c.option.equals(name)) return c;
        return null;
    }
}
