package io.sage.studio.chat.state;

/**
 * The default route's traffic split while a rollout runs: {@code weight} percent of the default's requests go to
 * {@code candidate}; published with every route whose default is {@code baseline} ({@code ChatBackendEvent.Split}).
 * A route to another default (a switch during the rollout) goes out without it: the split never applies to a model
 * the rollout did not measure.
 *
 * @param rolloutId the rollout
 * @param baseline  the served model name of the default the rollout started from
 * @param candidate where the candidate's share goes
 * @param weight    the candidate's share in percent, 0–100
 */
public record RolloutSplit(String rolloutId, String baseline, PublishedRoute candidate, int weight) {

    public RolloutSplit {
        if (weight < 0 || weight > 100) {
            throw new IllegalArgumentException("a split's weight is a percentage, not " + weight);
        }
    }

    public RolloutSplit withWeight(int newWeight) {
        return new RolloutSplit(rolloutId, baseline, candidate, newWeight);
    }
}
