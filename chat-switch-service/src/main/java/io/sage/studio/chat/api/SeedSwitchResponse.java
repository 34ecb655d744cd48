package io.sage.studio.chat.api;

import io.sage.studio.chat.switching.SwitchOperation;

/** The seed's switch answer, plus the operation that did it. */
public record SeedSwitchResponse(String currentModel, boolean llmServiceRestarted, SwitchOperation operation) {
}
