package io.sage.studio.cli.api;

/** {@code POST /api/chat/switch} and {@code GET /api/chat/switch/ID}: one switch of the chat backend. */
public record SwitchOperation(
        String id, String state, String strategy, String error, boolean rolledBack, Timings timings) {

    /** Milestones; the CLI reads only the downtime. */
    public record Timings(Long downtimeMs) {}

    /** {@code completed} or {@code failed}. */
    public boolean finished() {
        return "completed".equals(state) || "failed".equals(state);
    }
}
