package io.sage.studio.chat.state;

import java.time.Instant;

import io.sage.studio.chat.registry.ServableModel;

/**
 * Where chat goes now: the route this service publishes on the route topic (the gateway follows it as its
 * {@code ActiveRoute}).
 *
 * @param backendId       the serving backend ({@code cloud} for the cloud API)
 * @param baseUrl         its base URL without {@code /v1}
 * @param servedModelName the model name requests carry (a LoRA adapter's name when one serves)
 * @param model           the model users asked for
 * @param runtime         {@code local}, {@code kubernetes} or {@code none}
 * @param since           when the route was published
 */
public record PublishedRoute(
        String backendId, String baseUrl, String servedModelName, ServableModel model, String runtime, Instant since) {}
