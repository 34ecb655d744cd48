package io.sage.studio.chat.messaging;

import jakarta.enterprise.context.ApplicationScoped;

import org.eclipse.microprofile.reactive.messaging.Incoming;

import io.sage.studio.chat.switching.SwitchService;
import io.sage.studio.events.ChatSwitchCommandEvent;

/** Switch commands from {@code studio.chat.commands}: this service's own (published by the REST API) and other producers'. */
@ApplicationScoped
public class SwitchCommandConsumer {

    private final SwitchService switches;

    public SwitchCommandConsumer(SwitchService switches) {
        this.switches = switches;
    }

    @Incoming("chat-commands")
    public void onCommand(ChatSwitchCommandEvent command) {
        switches.onCommand(command);
    }
}
