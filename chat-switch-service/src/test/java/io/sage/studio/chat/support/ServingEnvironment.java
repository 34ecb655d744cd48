package io.sage.studio.chat.support;

import java.util.HashMap;
import java.util.Map;

/**
 * {@link LocalEnvironment} with engines that hold at most two adapters ({@code engine.max-loras} and
 * {@code engine.max-cpu-loras} 2), so that serving a third adapter onto one engine has to unload one.
 */
public class ServingEnvironment extends LocalEnvironment {

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>(super.start());
        config.put("studio.chat.engine.max-loras", "2");
        config.put("studio.chat.engine.max-cpu-loras", "2");
        return config;
    }
}
