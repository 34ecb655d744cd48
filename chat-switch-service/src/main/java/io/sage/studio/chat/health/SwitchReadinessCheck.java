package io.sage.studio.chat.health;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import io.sage.studio.chat.switching.ChatOverview;
import io.sage.studio.chat.switching.SwitchService;

/** Ready once the state is restored, engines re-adopted and the route topic read: switches are accepted. */
@Readiness
@ApplicationScoped
public class SwitchReadinessCheck implements HealthCheck {

    private final SwitchService switches;
    private final ChatOverview overview;

    public SwitchReadinessCheck(SwitchService switches, ChatOverview overview) {
        this.switches = switches;
        this.overview = overview;
    }

    @Override
    public HealthCheckResponse call() {
        ChatOverview.CurrentModel current = overview.current();
        return HealthCheckResponse.named("chat-switch")
                .status(switches.accepting())
                .withData("runtime", current.runtime())
                .withData("route", current.state().wire())
                .withData("model", current.currentModel() == null ? "" : current.currentModel())
                .build();
    }
}
