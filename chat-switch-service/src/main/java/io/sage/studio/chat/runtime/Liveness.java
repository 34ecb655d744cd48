package io.sage.studio.chat.runtime;

/**
 * Whether an engine is still there, as its runtime sees it (process alive, Deployment present and not crashing).
 *
 * @param alive  the engine exists and may (still) become ready
 * @param reason why it is not alive: exit code, crash reason, last log lines
 */
public record Liveness(boolean alive, String reason) {

    public static final Liveness ALIVE = new Liveness(true, null);

    public static Liveness dead(String reason) {
        return new Liveness(false, reason);
    }
}
