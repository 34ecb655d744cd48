package io.sage.studio.chat.runtime;

/**
 * One serving process of an engine, reachable on its own. A runtime-loaded LoRA adapter lives in one vLLM process's
 * memory only, so an engine with several replicas (a Kubernetes Deployment with more than one pod) must get each
 * adapter on every replica, and again on a replica that restarted or appeared later.
 *
 * @param name       the replica's name (the pod's; the engine's id where the engine is one process)
 * @param url        its OpenAI-compatible base URL without {@code /v1}
 * @param generation changes whenever the replica's process is a new one (pod uid and container restart count), or
 *                   {@code null} when the runtime cannot tell: then every check asks the replica itself
 */
public record Replica(String name, String url, String generation) {

    /** The engine as one replica: its own URL, no generation. */
    public static Replica of(Backend engine) {
        return new Replica(engine.id(), engine.baseUrl(), null);
    }
}
