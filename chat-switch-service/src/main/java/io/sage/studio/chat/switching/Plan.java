package io.sage.studio.chat.switching;

import io.sage.studio.chat.registry.ServableModel;
import io.sage.studio.chat.runtime.Backend;
import io.sage.studio.chat.runtime.BackendSpec;

/**
 * What a switch will do.
 *
 * @param strategy the strategy chosen (never {@code auto})
 * @param reason   why, in a sentence for the operation's steps
 * @param target   the model to serve
 * @param current  the engine serving now, or {@code null}
 * @param spec     the engine to start (blue-green, recreate), or {@code null}
 * @param restart  a restart of a dead engine: no rollback to it
 */
record Plan(
        SwitchStrategy strategy,
        String reason,
        ServableModel target,
        Backend current,
        BackendSpec spec,
        boolean restart) {}
