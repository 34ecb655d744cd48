package io.sage.studio.common.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sage.studio.common.home.StudioHome;

class EngineApiKeyTest {

    @TempDir
    Path home;

    @Test
    void aConfiguredKeyWinsAndNoFileIsWritten() {
        EngineApiKey key = new EngineApiKey(Optional.of(" sk-configured "), StudioHome.at(home));
        assertThat(key.getOrCreate()).isEqualTo("sk-configured");
        assertThat(key.current()).contains("sk-configured");
        assertThat(key.file()).doesNotExist();
    }

    @Test
    void withoutConfigurationTheFirstStartCreatesAPrivateKeyFileThatOthersRead() throws Exception {
        EngineApiKey chat = new EngineApiKey(Optional.empty(), StudioHome.at(home));
        EngineApiKey gateway = new EngineApiKey(Optional.of(""), StudioHome.at(home));
        assertThat(gateway.current()).isEmpty();
        String created = chat.getOrCreate();
        assertThat(created).startsWith("sk-sage-").hasSizeGreaterThan(40);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(chat.file())))
                .isEqualTo("rw-------");
        assertThat(gateway.current()).contains(created);
        assertThat(chat.getOrCreate()).isEqualTo(created);
    }

    @Test
    void aRotatedFileIsReadAgain() throws Exception {
        EngineApiKey key = new EngineApiKey(Optional.empty(), StudioHome.at(home));
        key.getOrCreate();
        Files.writeString(key.file(), "sk-rotated\n");
        Files.setLastModifiedTime(key.file(), FileTime.fromMillis(System.currentTimeMillis() + 5000));
        assertThat(key.current()).contains("sk-rotated");
    }
}
