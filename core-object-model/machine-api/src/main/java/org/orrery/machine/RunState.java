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
    GUEST_PANICKED("guest-panicked"),
    /** Waiting for an incoming migration (-incoming, migrate-incoming). */
    INMIGRATE("inmigrate"),
    /** Stopped while its final state is sent (migrate). */
    FINISH_MIGRATE("finish-migrate"),
    /** Its state went to another machine: it stays stopped until cont. */
    POSTMIGRATE("postmigrate"),
    /** Stopped while a snapshot is saved (savevm, snapshot-save). */
    SAVE_VM("save-vm"),
    /** Stopped while a snapshot is loaded (loadvm, snapshot-load). */
    RESTORE_VM("restore-vm");

    private final String qmpName;

    RunState(String qmpName) { this.qmpName = qmpName; }

    public String qmpName() { return qmpName; }

    public boolean isRunning() { return this == RUNNING; }
}
