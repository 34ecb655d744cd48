package io.sage.studio.common.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sage.studio.common.error.CommonError;
import io.sage.studio.common.error.StudioException;
import io.sage.studio.common.home.StudioHome;

class HubSettingsTest {

    private static final String TOKEN = "hf_test_token_0123456789";

    @TempDir
    Path root;

    private HubSettings settings(Optional<String> hfHome, Optional<String> tokenFile, boolean offline) {
        return new HubSettings(
                StudioHome.at(root),
                hfHome,
                tokenFile,
                offline,
                Optional.of("hf-token"),
                "",
                Map.of("HF_TOKEN", TOKEN, "OPENAI_API_KEY", "sk-cloud"));
    }

    @Test
    void cacheDefaultsToTheStudioHomeAndChildrenGetTokenAndCache() throws IOException {
        HubSettings hub = settings(Optional.empty(), Optional.empty(), false);
        Path home = root.toRealPath();

        assertThat(hub.hfHome()).isEqualTo(home.resolve("hf-cache"));
        assertThat(hub.processEnv())
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of("HF_HOME", home.resolve("hf-cache").toString(), "HF_TOKEN", TOKEN));
        assertThat(hub.podEnv("/studio-home/"))
                .containsExactlyInAnyOrderEntriesOf(Map.of("HF_HOME", "/studio-home/hf-cache"));
        assertThat(hub.tokenSecret()).contains(new HubSettings.TokenSecret("hf-token", "HF_TOKEN"));
    }

    @Test
    void tokenFileWinsOverTheEnvironmentAndOfflineSetsBothSwitches() throws IOException {
        Path file = Files.writeString(root.resolve("token"), "hf_from_file_0123456789\n");
        HubSettings hub = settings(Optional.of("/opt/hf"), Optional.of(file.toString()), true);

        assertThat(hub.processEnv())
                .containsEntry("HF_TOKEN", "hf_from_file_0123456789")
                .containsEntry("HF_HOME", "/opt/hf")
                .containsEntry("HF_HUB_OFFLINE", "1")
                .containsEntry("TRANSFORMERS_OFFLINE", "1");
        assertThat(hub.podEnv("/studio-home"))
                .containsEntry("HF_HOME", "/opt/hf")
                .doesNotContainKey("HF_TOKEN");
    }

    @Test
    void anUnreadableTokenFileStopsTheStartWithoutQuotingIt() throws IOException {
        Path file = Files.writeString(root.resolve("token"), "two words");
        assertThatThrownBy(() -> settings(Optional.empty(), Optional.of(file.toString()), false))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("studio.models.hf-token-file")
                .hasMessageNotContaining("two words");
        assertThatThrownBy(() -> settings(
                        Optional.empty(), Optional.of(root.resolve("none").toString()), false))
                .hasMessageContaining("cannot read");
    }

    @Test
    void offlineRefusesAModelNotInTheCacheAndAcceptsASnapshotOrAModelDirectory() throws IOException {
        HubSettings hub = settings(Optional.empty(), Optional.empty(), true);

        assertThatThrownBy(() -> hub.requireCached("Qwen/Qwen2.5-0.5B-Instruct", "model_name"))
                .isInstanceOfSatisfying(
                        StudioException.class, e -> assertThat(e.error()).isEqualTo(CommonError.MODEL_NOT_CACHED))
                .hasMessageContaining("Qwen/Qwen2.5-0.5B-Instruct")
                .hasMessageContaining("huggingface-cli download Qwen/Qwen2.5-0.5B-Instruct")
                .hasMessageContaining("HF_HOME=" + hub.hfHome());

        Path snapshot = hub.hfHome().resolve("hub/models--Qwen--Qwen2.5-0.5B-Instruct/snapshots/abc123");
        Files.createDirectories(snapshot);
        assertThatThrownBy(() -> hub.requireCached("Qwen/Qwen2.5-0.5B-Instruct", "model_name"))
                .isInstanceOf(StudioException.class); // a snapshot without config.json is an interrupted download
        Files.writeString(snapshot.resolve("config.json"), "{}");
        hub.requireCached("Qwen/Qwen2.5-0.5B-Instruct", "model_name");

        Path dir = Files.createDirectories(root.resolve("models/tiny"));
        assertThat(HubSettings.cached(hub.hfHome(), dir.toString())).isFalse();
        Files.writeString(dir.resolve("config.json"), "{}");
        hub.requireCached(dir.toString(), "model_name");
        assertThat(HubSettings.cached(hub.hfHome(), "../hub/models--x")).isFalse();
    }

    @Test
    void theServicesOwnHfHomeIsKeptUnlessTheSettingNamesAnother() {
        Map<String, String> env = Map.of("HF_HOME", "/srv/hf");
        HubSettings inherited = new HubSettings(
                StudioHome.at(root), Optional.empty(), Optional.empty(), false, Optional.empty(), "", env);
        assertThat(inherited.hfHome()).isEqualTo(Path.of("/srv/hf"));
        HubSettings configured = new HubSettings(
                StudioHome.at(root), Optional.of("cache"), Optional.empty(), false, Optional.empty(), "", env);
        assertThat(configured.hfHome()).isEqualTo(StudioHome.at(root).root().resolve("cache"));
    }

    @Test
    void onlineEverythingPasses() {
        settings(Optional.empty(), Optional.empty(), false)
                .requireCached("meta-llama/Llama-3.1-8B-Instruct", "model_name");
    }
}
