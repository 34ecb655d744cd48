package io.sage.studio.gateway.openai;

import java.util.ArrayList;
import java.util.List;

import io.sage.studio.events.ChatBackendEvent;
import io.sage.studio.gateway.routing.ActiveRoute;
import io.sage.studio.gateway.routing.RouteTarget;

/**
 * The answer of {@code GET /v1/models} in OpenAI's list shape: the default model under its served name, the alias
 * (whose {@code root} is the default's served name), then every other model the route serves by name (the rollout's
 * candidate included), each under its served name. Without a default (none, or switching) only the models served by
 * name are listed.
 */
record ModelList(String object, List<ModelCard> data) {

    static final String OWNER = "sage-studio";

    /** One model in OpenAI's shape ({@code owned_by}, {@code created} in epoch seconds). */
    record ModelCard(String id, String object, long created, String ownedBy, String root) {}

    static ModelList of(ActiveRoute route, String alias) {
        long created = created(route);
        List<ModelCard> cards = new ArrayList<>();
        String served = route.servedModel();
        if (route.primary() != null) {
            cards.add(card(route.primary(), created));
            if (!alias.equals(served)) {
                cards.add(new ModelCard(alias, "model", created, OWNER, served));
            }
        }
        for (RouteTarget target : route.models()) {
            String name = target.servedModel();
            if (target != route.primary() && !name.equals(alias) && !name.equals(served)) {
                cards.add(card(target, created));
            }
        }
        return new ModelList("list", List.copyOf(cards));
    }

    /** The card of {@code id} when it names a model of the route (served name, alias or display name), else {@code null}. */
    static ModelCard card(ActiveRoute route, String alias, String id) {
        long created = created(route);
        if (id.equals(alias)) {
            return route.serving() ? new ModelCard(alias, "model", created, OWNER, route.servedModel()) : null;
        }
        RouteTarget target = route.byName().get(id);
        if (target == null) {
            return null;
        }
        return id.equals(target.servedModel())
                ? card(target, created)
                : new ModelCard(id, "model", created, OWNER, target.servedModel());
    }

    private static ModelCard card(RouteTarget target, long created) {
        ChatBackendEvent.Backend backend = target.backend();
        String root = backend.modelPath() == null ? backend.servedModelName() : backend.modelPath();
        return new ModelCard(backend.servedModelName(), "model", created, OWNER, root);
    }

    private static long created(ActiveRoute route) {
        ChatBackendEvent event = route.event();
        return event.since() == null ? 0 : event.since().getEpochSecond();
    }
}
