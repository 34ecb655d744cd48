package io.sage.studio.cli.api;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One model of {@code GET /api/chat/serving}: what clients send as {@code model}, where it runs and its traffic.
 *
 * @param model the served name clients send
 * @param displayName the task id or model id, also accepted as {@code model}
 * @param kind {@code base}, {@code lora}, {@code merged} or {@code cloud}
 * @param state {@code loading}, {@code ready} or {@code failed}
 * @param isDefault whether {@code sage-chat} reaches it ({@code default} on the wire)
 * @param rollout its part in a running rollout, or {@code null}
 * @param traffic the gateways' running totals since the service started
 */
public record ServedModel(
        String model,
        String displayName,
        String engine,
        String kind,
        String state,
        @JsonProperty("default") Boolean isDefault,
        RolloutRole rollout,
        Traffic traffic) {

    /** Whether this is what {@code sage-chat} reaches. */
    public boolean servesDefault() {
        return Boolean.TRUE.equals(isDefault);
    }

    /**
     * The model's arm in a rollout.
     *
     * @param arm {@code baseline} or {@code candidate}
     * @param weight the candidate's share of {@code sage-chat} traffic now, in percent
     */
    public record RolloutRole(String rolloutId, String arm, Double weight) {}

    /** Requests, errors and time to first token, as the gateways counted them. */
    public record Traffic(Long requests, Long errors, Double ttftP50Ms, Double ttftP95Ms) {}
}
