package org.orrery.gdbstub.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.orrery.command.CommandLayer;
import org.orrery.command.Session;
import org.orrery.machine.Machine;
import org.orrery.machine.RunState;
import org.orrery.machine.cpu.Hart;
import org.orrery.machine.device.Board;
import org.orrery.qom.QomException;
import org.orrery.qom.Value;

import java.util.List;
import java.util.concurrent.Callable;

/** A real machine as the stub sees it; monitor commands go through the command layer's human-monitor-command. */
final class MachineTarget implements DebugTarget {
    static final String HMP_COMMAND = "human-monitor-command";

    private final Machine machine;
    private final CommandLayer commands;
    private final Session session;

    MachineTarget(Machine machine, CommandLayer commands, String sessionName) {
        this.machine = machine;
        this.commands = commands;
        this.session = () -> sessionName;
    }

    Machine machine() { return machine; }

    @Override public List<Hart> harts() {
        Board b = machine.board();
        return b == null || !b.isRealized() ? List.of() : b.harts();
    }

    @Override public RunState runState() { return machine.runState(); }

    @Override public void resume() { machine.resume(); }

    @Override public void resumeOnly(java.util.Set<Integer> hartIndexes) { machine.resumeOnly(hartIndexes); }

    @Override public void pause(RunState state) { machine.pause(state, null); }

    @Override public void quit(int status) { machine.quit(status); }

    @Override public void setDebugListener(Machine.DebugListener listener) { machine.setDebugListener(listener); }

    @Override public <T> T call(Callable<T> task) { return machine.call(task); }

    @Override public String monitor(String commandLine) {
        if (commands == null || commands.command(HMP_COMMAND).isEmpty())
            return "monitor commands are not available: no bundle provides '" + HMP_COMMAND + "' (the human monitor)\n";
        try {
            JsonNode args = JsonNodeFactory.instance.objectNode().put("command-line", commandLine);
            JsonNode r = commands.execute(machine.tree(), HMP_COMMAND, Value.ofJson("arguments", args), session);
            return r == null || r.isNull() ? "" : r.isTextual() ? r.textValue() : r.toString();
        } catch (QomException e) {
            return e.getMessage() + "\n";
        } catch (RuntimeException e) {
            return "monitor command failed: " + e + "\n";
        }
    }
}
