package io.sage.studio.chat.state;

/**
 * The default route's traffic split while a rollout runs: {@code weight} percent of the default's requests go to
 * {@code candidate}; published with every route ({@code ChatBackendEvent.Split}).
 *
 * @param rolloutId the rollout
 * @param candidate where the candidate's share goes
 * @param weight    the candidate's share in percent, 0–100
 */
public record RolloutSplit(String rolloutId, PublishedRoute candidate, int weight) {

    public RolloutSplit {
        if (weight < 0 || weight > 100) {
            throw new IllegalArgumentException("a split's weight is a percentage, not " + weight);
        }
    }

    public RolloutSplit withWeight(int newWeight) {
        return new RolloutSplit(rolloutId, candidate, newWeight);
    }
}
