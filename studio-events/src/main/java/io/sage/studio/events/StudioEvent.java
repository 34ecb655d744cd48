package io.sage.studio.events;

import com.fasterxml.jackson.annotation.JsonIgnore;

/**
 * A studio event: JSON data of a CloudEvent in binary mode (attributes as {@code ce_*} Kafka headers).
 * Every event carries its {@code schema_version}; consumers ignore unknown fields and accept any version
 * up to the one they know.
 */
public interface StudioEvent {

    /** Version of the record's shape. Bumped on an incompatible change, with a new CloudEvents type. */
    int schemaVersion();

    /** The Kafka key, also the CloudEvents {@code subject}. */
    @JsonIgnore
    String key();

    /** The CloudEvents {@code type}, e.g. {@code io.sage.studio.finetune.task.v1}. */
    @JsonIgnore
    String cloudEventType();

    /** The topic the event belongs on. */
    @JsonIgnore
    String topic();
}
