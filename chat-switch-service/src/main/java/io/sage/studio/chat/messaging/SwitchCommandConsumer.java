package io.sage.studio.chat.messaging;

import jakarta.enterprise.context.ApplicationScoped;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

import io.sage.studio.chat.switching.SwitchService;
import io.sage.studio.common.kafka.EventSigning;
import io.sage.studio.events.ChatSwitchCommandEvent;
import io.sage.studio.events.CloudEvents;

/**
 * Switch commands from {@code studio.chat.commands}: this service's own (published by the REST API) and other
 * producers'. Only commands signed with the studio's key are executed when one is set ({@link EventSigning}); an
 * undecodable record is skipped.
 */
@ApplicationScoped
public class SwitchCommandConsumer {

    private static final Logger LOG = Logger.getLogger(SwitchCommandConsumer.class);

    private final SwitchService switches;
    private final EventSigning signing;

    public SwitchCommandConsumer(SwitchService switches, EventSigning signing) {
        this.switches = switches;
        this.signing = signing;
    }

    @Incoming("chat-commands")
    public void onCommand(ConsumerRecord<String, byte[]> record) {
        if (record.value() == null || !signing.accept(record)) {
            return;
        }
        ChatSwitchCommandEvent command;
        try {
            command = CloudEvents.decode(record.value(), ChatSwitchCommandEvent.class);
        } catch (RuntimeException e) {
            LOG.warnf(
                    "skipping an undecodable switch command (partition %d, offset %d)",
                    record.partition(), record.offset());
            return;
        }
        switches.onCommand(command);
    }
}
