package io.sage.studio.common.auth;

import static io.sage.studio.common.auth.RevocationProfile.KEPT;
import static io.sage.studio.common.auth.RevocationProfile.REVOKED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** A revoked token also ends the streams it opened; a token that stays valid keeps its stream. */
@QuarkusTest
@TestProfile(RevocationProfile.class)
class RevocationTest {

    @ConfigProperty(name = "quarkus.http.test-port")
    int port;

    @Test
    void revokingATokenClosesItsOpenStreamWithinTheReloadInterval() throws Exception {
        Stream revoked = open(REVOKED, "t-revoked");
        Stream kept = open(KEPT, "t-kept");
        await().atMost(Duration.ofSeconds(10)).until(() -> revoked.lines.get() > 2 && kept.lines.get() > 2);

        Files.writeString(RevocationProfile.TOKENS, RevocationProfile.tokens(KEPT));
        Files.setLastModifiedTime(RevocationProfile.TOKENS, FileTime.fromMillis(System.currentTimeMillis() + 2000));

        await().atMost(Duration.ofSeconds(10)).untilTrue(revoked.ended);
        int keptLines = kept.lines.get();
        await().atMost(Duration.ofSeconds(5)).until(() -> kept.lines.get() > keptLines + 5);
        assertThat(kept.ended).isFalse();
        kept.thread.interrupt();
    }

    private record Stream(AtomicInteger lines, AtomicBoolean ended, Thread thread) {}

    private Stream open(String token, String task) throws IOException, InterruptedException {
        HttpResponse<InputStream> response = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(
                                        "http://localhost:" + port + "/api/finetune/tasks/" + task + "/logs"))
                                .header("Authorization", "Bearer " + token)
                                .header("Accept", "text/event-stream")
                                .build(),
                        HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        AtomicInteger lines = new AtomicInteger();
        AtomicBoolean ended = new AtomicBoolean();
        Thread reader = new Thread(
                () -> {
                    try (BufferedReader in =
                            new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                        while (in.readLine() != null) {
                            lines.incrementAndGet();
                        }
                    } catch (IOException e) {
                        // a reset connection ends the stream too
                    } finally {
                        ended.set(true);
                    }
                },
                "stream-" + task);
        reader.setDaemon(true);
        reader.start();
        return new Stream(lines, ended, reader);
    }
}
