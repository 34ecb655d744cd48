package io.sage.studio.chat.runtime;

import java.util.List;
import java.util.Set;

/**
 * Where engines run: local processes, Kubernetes Deployments, or nowhere (cloud). Implementations only manage
 * engines; readiness over HTTP, routing and rollback belong to the switch executor.
 */
public interface ServingRuntime {

    /** {@code local}, {@code kubernetes} or {@code none}. */
    String name();

    /** Whether this runtime runs engines at all. */
    boolean hasEngines();

    /** Starts an engine and returns at once; the engine then becomes ready (or dies) on its own. */
    Backend start(BackendSpec spec) throws RuntimeFailure;

    /** Whether the engine still exists. */
    Liveness liveness(Backend backend);

    /** Stops the engine and waits until it is gone; stopping one that is gone already is fine. */
    void stop(Backend backend);

    /**
     * Called once at start with the backends the state file lists: returns those of {@code keep} that still run,
     * and stops every other engine of this runtime it can find (the recorded ones, and for Kubernetes every
     * Deployment with this service's labels), so no orphan holds a GPU.
     */
    List<Backend> adopt(List<Backend> recorded, Set<String> keep);

    /**
     * The replicas of an engine that take traffic now, each with its own URL: what must hold every adapter the engine
     * serves. One engine process is one replica (the default); an empty list means none is ready.
     */
    default List<Replica> replicas(Backend backend) {
        return List.of(Replica.of(backend));
    }

    /** The last lines the engine wrote, for error messages (empty when unknown). */
    String logTail(Backend backend, int lines);

    /** An engine could not be started at all (no free port, the command is missing, the API refused). */
    class RuntimeFailure extends Exception {

        public RuntimeFailure(String message) {
            super(message);
        }

        public RuntimeFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
