package io.sage.studio.common.nativeimage;

import io.quarkus.runtime.annotations.RegisterForReflection;
import io.sage.studio.events.AuditEvent;
import io.sage.studio.events.ChatBackendEvent;
import io.sage.studio.events.ChatOperationEvent;
import io.sage.studio.events.ChatSwitchCommandEvent;
import io.sage.studio.events.ChatTrafficEvent;
import io.sage.studio.events.EventDeserializer;
import io.sage.studio.events.EventSerializer;
import io.sage.studio.events.GpuTelemetryEvent;
import io.sage.studio.events.TaskEvent;
import io.sage.studio.events.TaskSnapshot;

/**
 * What a native image of any service must keep for the Kafka events: Jackson builds the event records (and the records
 * inside them) by reflection through {@code StudioJson}, which Quarkus's REST layer never sees, and the Kafka clients
 * instantiate the serializer and the per-type deserializers from their class names. Quarkus reads this annotation from
 * studio-common's Jandex index in every service's build ({@code scripts/native-check.sh}); {@code EventReflectionTest}
 * fails when an event type of studio-events is missing here.
 */
@RegisterForReflection(
        targets = {
            TaskEvent.class,
            TaskSnapshot.class,
            TaskSnapshot.Evaluation.class,
            GpuTelemetryEvent.class,
            GpuTelemetryEvent.GpuProcess.class,
            ChatSwitchCommandEvent.class,
            ChatBackendEvent.class,
            ChatBackendEvent.Backend.class,
            ChatBackendEvent.Split.class,
            ChatTrafficEvent.class,
            ChatTrafficEvent.ModelTraffic.class,
            ChatOperationEvent.class,
            AuditEvent.class,
            EventSerializer.class,
            EventDeserializer.TaskEvents.class,
            EventDeserializer.GpuTelemetryEvents.class,
            EventDeserializer.ChatSwitchCommandEvents.class,
            EventDeserializer.ChatBackendEvents.class,
            EventDeserializer.ChatTrafficEvents.class,
            EventDeserializer.ChatOperationEvents.class,
            EventDeserializer.AuditEvents.class
        })
public final class EventReflection {

    private EventReflection() {}
}
