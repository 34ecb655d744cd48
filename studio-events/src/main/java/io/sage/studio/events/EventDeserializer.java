package io.sage.studio.events;

import org.apache.kafka.common.serialization.Deserializer;

/**
 * Kafka value deserializer for one studio event type; subclass it per type so it can be named in config
 * ({@code value.deserializer=io.sage.studio.events.EventDeserializer$TaskEvents}). Tombstones stay {@code null}.
 */
public class EventDeserializer<T> implements Deserializer<T> {

    private final Class<T> type;

    protected EventDeserializer(Class<T> type) {
        this.type = type;
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        return data == null ? null : CloudEvents.decode(data, type);
    }

    public static class TaskEvents extends EventDeserializer<TaskEvent> {
        public TaskEvents() {
            super(TaskEvent.class);
        }
    }

    public static class GpuTelemetryEvents extends EventDeserializer<GpuTelemetryEvent> {
        public GpuTelemetryEvents() {
            super(GpuTelemetryEvent.class);
        }
    }

    public static class ChatSwitchCommandEvents extends EventDeserializer<ChatSwitchCommandEvent> {
        public ChatSwitchCommandEvents() {
            super(ChatSwitchCommandEvent.class);
        }
    }

    public static class ChatBackendEvents extends EventDeserializer<ChatBackendEvent> {
        public ChatBackendEvents() {
            super(ChatBackendEvent.class);
        }
    }

    public static class ChatTrafficEvents extends EventDeserializer<ChatTrafficEvent> {
        public ChatTrafficEvents() {
            super(ChatTrafficEvent.class);
        }
    }

    public static class ChatOperationEvents extends EventDeserializer<ChatOperationEvent> {
        public ChatOperationEvents() {
            super(ChatOperationEvent.class);
        }
    }

    public static class AuditEvents extends EventDeserializer<AuditEvent> {
        public AuditEvents() {
            super(AuditEvent.class);
        }
    }
}
