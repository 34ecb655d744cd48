package io.sage.studio.finetune.progress;

/**
 * What following a task's log yields: a {@code line}, or, last, the {@code end} of the stream with its reason:
 * {@value #FINISHED} (the task ended and every line was sent) or {@value #TOO_SLOW} (the reader fell too far
 * behind and was dropped instead of buffering for it; it may reconnect and start from the tail again).
 */
public record LogEvent(String line, String end) {

    public static final String FINISHED = "finished";
    public static final String TOO_SLOW = "too_slow";

    static LogEvent line(String line) {
        return new LogEvent(line, null);
    }

    static LogEvent end(String reason) {
        return new LogEvent(null, reason);
    }

    public boolean isEnd() {
        return end != null;
    }
}
