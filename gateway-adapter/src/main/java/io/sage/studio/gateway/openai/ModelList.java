package io.sage.studio.gateway.openai;

import java.util.List;

import io.sage.studio.events.ChatBackendEvent;
import io.sage.studio.gateway.routing.ActiveRoute;

/**
 * The answer of {@code GET /v1/models} in OpenAI's list shape: the active model under its served name and under
 * the alias (whose {@code root} is the served name).
 */
record ModelList(String object, List<ModelCard> data) {

    static final String OWNER = "sage-studio";

    /** One model in OpenAI's shape ({@code owned_by}, {@code created} in epoch seconds). */
    record ModelCard(String id, String object, long created, String ownedBy, String root) {}

    static ModelList of(ActiveRoute route, String alias) {
        ChatBackendEvent event = route.event();
        long created = event.since() == null ? 0 : event.since().getEpochSecond();
        String served = route.servedModel();
        String root =
                route.backend().modelPath() == null ? served : route.backend().modelPath();
        ModelCard primary = new ModelCard(served, "model", created, OWNER, root);
        if (alias.equals(served)) {
            return new ModelList("list", List.of(primary));
        }
        return new ModelList("list", List.of(primary, new ModelCard(alias, "model", created, OWNER, served)));
    }

    /** The card of {@code id} when it names the active model (served name, alias or display name), else {@code null}. */
    static ModelCard card(ActiveRoute route, String alias, String id) {
        if (!route.acceptedModels().contains(id)) {
            return null;
        }
        ModelList list = of(route, alias);
        return list.data().stream()
                .filter(card -> card.id().equals(id))
                .findFirst()
                .orElseGet(() -> new ModelCard(id, "model", list.data().get(0).created(), OWNER, route.servedModel()));
    }
}
