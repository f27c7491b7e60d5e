package org.orrery.qom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class ContainerStartTest {
    /** The launcher's marker: run() asks for the whole start, test(name) brings what declares the name, if it knows. */
    private static final class Marker implements Runnable, Predicate<String> {
        final List<String> asked = new CopyOnWriteArrayList<>();
        @Override public void run() { asked.add("everything"); }
        @Override public boolean test(String wanted) {
            asked.add(wanted);
            return wanted.equals("known-command");
        }
    }

    @Test void aNamedWantThatTheMarkerCanBringReturnsWithoutAskingForTheWholeStart() {
        ContainerStart start = new ContainerStart(10_000);
        Marker marker = new Marker();
        start.markerAdded(marker);
        start.await("known-command");
        assertEquals(List.of("known-command"), marker.asked);
    }

    @Test void aWantNobodyDeclaresAsksForTheWholeStartAndWaitsUntilItIsOver() throws Exception {
        ContainerStart start = new ContainerStart(10_000);
        Marker marker = new Marker();
        start.markerAdded(marker);
        var pool = Executors.newSingleThreadExecutor();
        try {
            var waiting = pool.submit(() -> start.await("typo"));
            while (marker.asked.size() < 2) Thread.sleep(1);
            Thread.sleep(50);
            assertTrue(!waiting.isDone(), "waits while the start is under way");
            start.markerRemoved(marker);
            waiting.get(10, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        assertEquals(List.of("typo", "everything"), marker.asked);
        start.await("typo");
        assertEquals(2, marker.asked.size(), "once the start is over nothing is asked");
    }
}
