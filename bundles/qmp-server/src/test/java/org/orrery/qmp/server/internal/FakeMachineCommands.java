package org.orrery.qmp.server.internal;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.orrery.command.AbstractCommandModule;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test stand-in for the machine runtime's commands: query-status, stop and cont (with STOP and RESUME
 * events), plus test-only commands to probe the server (a slow command, a command that throws).
 */
public final class FakeMachineCommands extends AbstractCommandModule {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private volatile boolean running;
    public final AtomicInteger slowCompleted = new AtomicInteger();

    public FakeMachineCommands() {
        super("fake-machine.json");
        on("query-status", (a, c) -> F.objectNode().put("running", running).put("singlestep", false)
                .put("status", running ? "running" : "prelaunch"));
        on("stop", (a, c) -> {
            if (running) {
                running = false;
                c.tree().events().emit("STOP", null);
            }
            return F.objectNode();
        });
        on("cont", (a, c) -> {
            if (!running) {
                running = true;
                c.tree().events().emit("RESUME", null);
            }
            return F.objectNode();
        });
        on("x-test-sleep", (a, c) -> {
            try {
                Thread.sleep(a.integer("ms"));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            slowCompleted.incrementAndGet();
            return F.objectNode().put("slept", a.integer("ms"));
        });
        on("x-test-crash", (a, c) -> { throw new IllegalStateException("boom"); });
        on("x-test-emit", (a, c) -> {
            c.tree().events().emit(a.str("event"), a.has("data") ? (com.fasterxml.jackson.databind.node.ObjectNode) a.get("data") : null);
            return F.objectNode();
        });
    }
}
