package org.orrery.machine;

/** A machine's run state, named as QMP's query-status names it. */
public enum RunState {
    PRECONFIG("preconfig"),
    PRELAUNCH("prelaunch"),
    RUNNING("running"),
    PAUSED("paused"),
    DEBUG("debug"),
    SHUTDOWN("shutdown"),
    INTERNAL_ERROR("internal-error"),
    GUEST_PANICKED("guest-panicked");

    private final String qmpName;

    RunState(String qmpName) { this.qmpName = qmpName; }

    public String qmpName() { return qmpName; }

    public boolean isRunning() { return this == RUNNING; }
}
