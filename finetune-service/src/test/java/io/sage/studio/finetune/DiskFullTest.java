package io.sage.studio.finetune;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.sage.studio.common.home.StudioHome;
import io.sage.studio.finetune.storage.TreeFiles;
import io.sage.studio.kafka.KafkaTestResource;

/**
 * Fault injection: the studio home on a full file system, for real — a 2 MiB tmpfs mounted as the home (the tests
 * run as root on Linux; where mounting is not permitted the test is skipped with the reason). Uploads and task
 * creation answer 507 {@code insufficient_storage}, nothing half-written is left or listed, and the service works
 * again once space returns.
 */
@QuarkusTest
@TestProfile(DiskFullTest.FullHome.class)
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StudioTestResource.class, scope = TestResourceScope.GLOBAL)
class DiskFullTest {

    private static Path mount;
    private static String notMounted;

    /**
     * The studio home on a 2 MiB tmpfs (or, where that cannot be mounted, a plain folder and a reason). Quarkus asks
     * a profile for its overrides more than once (per class loader), so the mount point is fixed per test JVM and
     * mounted only once.
     */
    public static class FullHome implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            mount = Path.of(
                    System.getProperty("java.io.tmpdir"),
                    "studio-full-home-" + ProcessHandle.current().pid());
            try {
                Files.createDirectories(mount);
                if (!mounted()) {
                    Process mounting = new ProcessBuilder(
                                    "mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", mount.toString())
                            .redirectErrorStream(true)
                            .start();
                    String output =
                            new String(mounting.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                    if (!mounting.waitFor(30, TimeUnit.SECONDS) || mounting.exitValue() != 0) {
                        notMounted = "cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): " + output;
                    } else {
                        // Also when the test never runs (the application fails to start): unmounted as the JVM ends.
                        Runtime.getRuntime().addShutdownHook(new Thread(DiskFullTest::unmountQuietly));
                    }
                }
            } catch (IOException e) {
                notMounted = "cannot mount a tmpfs here: " + e.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            return Map.of(
                    "studio.home",
                    mount.toString(),
                    "quarkus.http.body.uploads-directory",
                    mount.resolve("studio").resolve("uploads").toString());
        }
    }

    private static boolean mounted() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mounts")).stream()
                .anyMatch(line -> line.split(" ")[1].equals(mount.toString()));
    }

    @Inject
    StudioHome home;

    /** Lazily: the service of this profile keeps its (now detached) home until Quarkus stops it. */
    private static void unmountQuietly() {
        try {
            unmount();
        } catch (IOException e) {
            System.err.println("cannot unmount " + mount + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void unmount() throws IOException, InterruptedException {
        if (mounted()) {
            new ProcessBuilder("umount", "-l", mount.toString())
                    .inheritIO()
                    .start()
                    .waitFor(30, TimeUnit.SECONDS);
        }
        TreeFiles.deleteQuietly(mount);
    }

    private static byte[] dataset(int records) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < records; i++) {
            out.append("{\"prompt\":\"question ")
                    .append(i)
                    .append("\",\"completion\":\"answer ")
                    .append(i)
                    .append("\"}\n");
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static Response upload(byte[] content) {
        return given().multiPart("file", "d.jsonl", content, "application/octet-stream")
                .post("/api/finetune/upload-dataset");
    }

    private static Response create(String dataset) {
        return given().contentType(ContentType.JSON)
                .body(Map.of("model_name", "m", "dataset_file", dataset))
                .post("/api/finetune/create");
    }

    /** Writes a filler file until the file system refuses; returns the bytes written. */
    private static long fill(Path filler) {
        byte[] chunk = new byte[64 * 1024];
        long written = 0;
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(chunk);
                written += chunk.length;
            }
        } catch (IOException e) {
            assertThat(e.getMessage()).contains("No space left");
        }
        return written;
    }

    private static List<String> entries(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void uploadsAndCreationAnswer507LeaveNothingHalfWrittenAndWorkAgainOnceSpaceReturns() throws Exception {
        try {
            assumeTrue(notMounted == null, () -> notMounted);
            fullDiskScenario();
        } finally {
            unmount();
        }
    }

    private void fullDiskScenario() throws IOException {
        assertThat(home.root()).isEqualTo(mount.toRealPath());
        String stored = upload(dataset(20)).then().statusCode(200).extract().path("dataset_id");
        List<String> datasetsBefore = entries(home.datasetsDir());
        List<String> tasksBefore = entries(home.finetuneDir());

        Path filler = mount.resolve("filler.bin");
        long filled = fill(filler);

        long started = System.nanoTime();
        Response refusedUpload = upload(dataset(2000));
        long uploadMillis = (System.nanoTime() - started) / 1_000_000;
        assertThat(refusedUpload.statusCode()).as(refusedUpload.asString()).isEqualTo(507);
        assertThat(refusedUpload.jsonPath().getString("error.code")).isEqualTo("insufficient_storage");
        assertThat(refusedUpload.jsonPath().getString("error.message")).contains("full");

        started = System.nanoTime();
        Response refusedCreate = create(stored);
        long createMillis = (System.nanoTime() - started) / 1_000_000;
        assertThat(refusedCreate.statusCode()).as(refusedCreate.asString()).isEqualTo(507);
        assertThat(refusedCreate.jsonPath().getString("error.code")).isEqualTo("insufficient_storage");

        assertThat(entries(home.datasetsDir())).as("no partial dataset").isEqualTo(datasetsBefore);
        assertThat(entries(home.finetuneDir())).as("no task folder left behind").isEqualTo(tasksBefore);
        assertThat(entries(home.studioDir().resolve("uploads")))
                .as("no upload left behind")
                .isEmpty();
        given().get("/api/finetune/datasets").then().statusCode(200);
        assertThat(given().get("/api/finetune/datasets").jsonPath().getList("dataset_id"))
                .containsExactly(stored);
        assertThat(given().get("/api/finetune/tasks").jsonPath().getList("task_id"))
                .isEmpty();
        given().get("/q/health/live").then().statusCode(200);

        Files.delete(filler);
        String again = upload(dataset(2000)).then().statusCode(200).extract().path("dataset_id");
        String task = create(again).then().statusCode(201).extract().path("task_id");
        given().get("/api/finetune/tasks/" + task).then().statusCode(200);
        given().get("/q/health/live").then().statusCode(200);
        System.out.printf(
                "disk-full: tmpfs 2 MiB home, %d KiB filler; upload -> 507 in %d ms, create -> 507 in %d ms; "
                        + "0 partial datasets, 0 task folders left; after freeing space upload 200, create 201, live UP%n",
                filled / 1024, uploadMillis, createMillis);
    }
}
