package io.sage.studio.chat.state;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.common.files.AtomicFiles;
import io.sage.studio.common.home.StudioHome;
import io.sage.studio.events.ChatBackendEvent;

/**
 * Keeps {@code $STUDIO_HOME/studio/chat/backend.env} current for an external gateway
 * ({@code SAGE_CHAT_BASE_URL=http://127.0.0.1:8001/v1}, {@code SAGE_CHAT_MODEL=...}), written atomically.
 * While a recreate switch runs the file keeps the last serving route; with no backend both values are empty.
 */
@ApplicationScoped
public class BackendEnvFile implements GatewaySync {

    private static final Logger LOG = Logger.getLogger(BackendEnvFile.class);

    private final Path file;
    private final boolean enabled;

    public BackendEnvFile(StudioHome home, ChatConfig config) {
        this.file = home.chatDir().resolve("backend.env");
        this.enabled = config.gateway().envFile();
    }

    @Override
    public void routeChanged(ChatBackendEvent event) {
        if (!enabled || event.state() == ChatBackendEvent.State.SWITCHING) {
            return;
        }
        String content = "# Written by the SAGE Studio chat-switch-service (route revision " + event.revision() + ").\n"
                + "SAGE_CHAT_BASE_URL=" + quote(GatewaySync.baseUrlOf(event)) + "\n"
                + "SAGE_CHAT_MODEL=" + quote(GatewaySync.modelOf(event)) + "\n";
        try {
            AtomicFiles.write(file, content.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            LOG.errorf("cannot write %s: %s", file, e.getMessage());
        }
    }

    /** Quotes a value for shells and dotenv readers when it holds anything but safe characters. */
    static String quote(String value) {
        if (value.matches("[A-Za-z0-9_./:@%+=,-]*")) {
            return value;
        }
        return "'" + value.replace("'", "'\\''") + "'";
    }
}
