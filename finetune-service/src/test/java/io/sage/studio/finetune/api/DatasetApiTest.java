package io.sage.studio.finetune.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.startsWith;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;
import io.sage.studio.finetune.StudioTestResource;
import io.sage.studio.kafka.KafkaTestResource;

@QuarkusTest
@WithTestResource(value = KafkaTestResource.class, scope = TestResourceScope.GLOBAL)
@WithTestResource(value = StudioTestResource.class, scope = TestResourceScope.GLOBAL)
class DatasetApiTest {

    @TestHTTPResource("/")
    String base;

    private static Path datasets() {
        return StudioTestResource.home().resolve("studio").resolve("datasets");
    }

    private static ValidatableResponse upload(String fileName, byte[] content) {
        return given().multiPart("file", fileName, content, "application/octet-stream")
                .when()
                .post("/api/finetune/upload-dataset")
                .then();
    }

    private static long storedDatasets() throws IOException {
        if (!Files.isDirectory(datasets())) {
            return 0;
        }
        try (Stream<Path> dirs = Files.list(datasets())) {
            return dirs.count();
        }
    }

    @Test
    void uploadValidatesNormalisesAndReportsPerLineErrors() throws IOException {
        String jsonl = """
                {"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]}
                {"messages":[{"role":"user","content":"Hi"},{"role":"wizard","content":"?"}]}
                {broken
                {"messages":[{"role":"system","content":"S"},{"role":"user","content":"Q"},{"role":"assistant","content":"A"}]}
                """;
        String path = upload("chat.jsonl", jsonl.getBytes(StandardCharsets.UTF_8))
                .statusCode(200)
                .body("dataset_id", startsWith("ds-"))
                .body("filename", equalTo("chat.jsonl"))
                .body("format", equalTo("openai"))
                .body("valid_records", equalTo(2))
                .body("invalid_records", equalTo(2))
                .body("size_bytes", equalTo(jsonl.getBytes(StandardCharsets.UTF_8).length))
                .body("stats.max_chars", equalTo(8))
                .body("stats.estimated_tokens", greaterThan(0))
                .body("stats.total_samples", equalTo(2))
                .body("errors.line", contains(2, 3))
                .body("errors.code", contains("unrecognized_role", "invalid_json"))
                .extract()
                .path("path");
        Path stored = Path.of(path);
        assertThat(stored).startsWith(datasets());
        assertThat(Files.readAllLines(stored))
                .hasSize(2)
                .first()
                .isEqualTo("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},"
                        + "{\"role\":\"assistant\",\"content\":\"Hello!\"}]}");
        assertThat(stored.resolveSibling("dataset_meta.json")).exists();
        // The seed's client sends file_path back as dataset_file.
        given().get("/api/finetune/datasets/" + stored.getParent().getFileName())
                .then()
                .body("file_path", equalTo(path))
                .body("stats.total_samples", equalTo(2));
    }

    @Test
    void aFileWithoutOneValidRecordIsRefusedAndLeavesNothingBehind() throws IOException {
        long before = storedDatasets();
        upload("bad.jsonl", "{\"foo\":1}\n[1]\n".getBytes(StandardCharsets.UTF_8))
                .statusCode(400)
                .body("error.code", equalTo("dataset_invalid"))
                .body("error.details.code", contains("unrecognized_format", "not_an_object"))
                .body("error.details.line", contains(1, 2));
        upload("array.json", "[{\"prompt\":\"p\",\"completion\":\"c\"}, oops]".getBytes(StandardCharsets.UTF_8))
                .statusCode(400)
                .body("error.details.code", hasItem("invalid_json"));
        assertThat(storedDatasets()).isEqualTo(before);
    }

    @Test
    void aJsonArrayWithAByteOrderMarkIsAccepted() {
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        byte[] body =
                "[{\"instruction\":\"说你好\",\"output\":\"你好\"},{\"conversations\":[]}]".getBytes(StandardCharsets.UTF_8);
        byte[] content = new byte[bom.length + body.length];
        System.arraycopy(bom, 0, content, 0, bom.length);
        System.arraycopy(body, 0, content, bom.length, body.length);
        upload("alpaca.json", content)
                .statusCode(200)
                .body("format", equalTo("alpaca"))
                .body("valid_records", equalTo(1))
                .body("errors[0].code", equalTo("format_mismatch"));
    }

    @Test
    void theClientsFileNameNeverChoosesThePath() {
        String path = upload(
                        "../../../../tmp/evil name;rm.jsonl", "{\"prompt\":\"p\",\"completion\":\"c\"}\n".getBytes())
                .statusCode(200)
                .body("filename", equalTo("evil_name_rm.jsonl"))
                .extract()
                .path("path");
        assertThat(Path.of(path)).startsWith(datasets()).hasFileName("dataset.jsonl");
        upload("data.csv", "a,b\n".getBytes()).statusCode(400).body("error.code", equalTo("unsupported_file_type"));
        given().multiPart("other", "x")
                .when()
                .post("/api/finetune/upload-dataset")
                .then()
                .statusCode(400)
                .body("error.code", equalTo("missing_file"));
    }

    @Test
    void anUploadOverTheLimitIs413BeforeOrAfterItIsRead() throws IOException {
        long before = storedDatasets();
        byte[] line =
                "{\"prompt\":\"ppppppppppppppppppppppppppppppp\",\"completion\":\"ccccccccccccccc\"}\n".getBytes();
        byte[] justOver = repeat(line, (int) (StudioTestResource.DATASET_LIMIT / line.length) + 10);
        upload("big.jsonl", justOver)
                .statusCode(413)
                .body("error.code", equalTo("dataset_too_large"))
                .body("error.message", startsWith("the dataset has"));
        byte[] farOver = repeat(line, (int) (4 * StudioTestResource.DATASET_LIMIT / line.length));
        HttpResponse<String> refused = uploadWithLength("huge.jsonl", farOver);
        assertThat(refused.statusCode()).isEqualTo(413);
        assertThat(refused.body())
                .contains("\"dataset_too_large\"", "the upload has", "studio.finetune.dataset.max-bytes");
        assertThat(storedDatasets()).isEqualTo(before);
    }

    private static ValidatableResponse uploadRaw(String contentType, String fileName, byte[] content) {
        return given().contentType(contentType)
                .queryParam("filename", fileName)
                .body(content)
                .when()
                .post("/api/finetune/upload-dataset")
                .then();
    }

    @Test
    void aRawBodyUploadIsValidatedLikeAFormUploadWithTheSameLineErrors() throws IOException {
        String jsonl = """
                {"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]}

                {"messages":[{"role":"user","content":"Hi"},{"role":"wizard","content":"?"}]}
                {"messages":[{"content":"Q","role":"user"},{"role":"assistant","content":"A"}]}
                {broken
                """;
        byte[] bytes = jsonl.getBytes(StandardCharsets.UTF_8);
        String raw = uploadRaw("application/x-ndjson", "raw.jsonl", bytes)
                .statusCode(200)
                .body("filename", equalTo("raw.jsonl"))
                .body("format", equalTo("openai"))
                .body("valid_records", equalTo(2))
                .body("size_bytes", equalTo(bytes.length))
                .body("errors.line", contains(3, 5))
                .body("errors.code", contains("unrecognized_role", "invalid_json"))
                .extract()
                .path("path");
        String form = upload("raw.jsonl", bytes).statusCode(200).extract().path("path");
        assertThat(Files.readAllBytes(Path.of(raw))).isEqualTo(Files.readAllBytes(Path.of(form)));
        uploadRaw("application/octet-stream", "array.json", "[{\"prompt\":\"p\",\"completion\":\"c\"}]".getBytes())
                .statusCode(200)
                .body("format", equalTo("prompt_completion"));

        long before = storedDatasets();
        uploadRaw("application/jsonl", "bad.jsonl", "{\"foo\":1}\n".getBytes())
                .statusCode(400)
                .body("error.code", equalTo("dataset_invalid"))
                .body("error.details.line", contains(1));
        uploadRaw("application/x-ndjson", "data.csv", bytes)
                .statusCode(400)
                .body("error.code", equalTo("unsupported_file_type"));
        byte[] line = "{\"prompt\":\"ppppppppppppppppppppp\",\"completion\":\"ccccccccc\"}\n".getBytes();
        uploadRaw(
                        "application/x-ndjson",
                        "big.jsonl",
                        repeat(line, (int) (StudioTestResource.DATASET_LIMIT / line.length) + 10))
                .statusCode(413)
                .body("error.code", equalTo("dataset_too_large"));
        assertThat(storedDatasets()).isEqualTo(before);
    }

    @Test
    void prepareSageDocsBuildsAChatSetFromTheBundledDocs() throws IOException {
        String path = given().when()
                .queryParam("force_refresh", true)
                .post("/api/finetune/prepare-sage-docs")
                .then()
                .statusCode(200)
                .body("status", equalTo("success"))
                .body("message", containsString("samples"))
                .body("reused", equalTo(false))
                .body("format", equalTo("openai"))
                .body("samples", greaterThan(3))
                .body("characters", greaterThan(1000))
                .body("estimated_tokens", greaterThan(100))
                .body("documents", hasItem("docs/ARCHITECTURE.md"))
                .extract()
                .path("path");
        assertThat(Path.of(path)).exists();

        // The seed's client: a JSON body it does not need, then data_file and stats.total_samples; without
        // force_refresh the same build is returned, not stored again.
        long before = storedDatasets();
        given().contentType("application/json")
                .body("{}")
                .post("/api/finetune/prepare-sage-docs")
                .then()
                .statusCode(200)
                .body("reused", equalTo(true))
                .body("data_file", equalTo(path))
                .body("file_path", equalTo(path))
                .body("stats.total_samples", greaterThan(3));
        assertThat(storedDatasets()).isEqualTo(before);
        String rebuilt = given().queryParam("force_refresh", "true")
                .post("/api/finetune/prepare-sage-docs")
                .then()
                .statusCode(200)
                .body("reused", equalTo(false))
                .extract()
                .path("data_file");
        assertThat(rebuilt).isNotEqualTo(path);
        assertThat(storedDatasets()).isEqualTo(before + 1);
    }

    /** A multipart upload with its length declared up front (as browsers and curl send it; RestAssured streams). */
    private HttpResponse<String> uploadWithLength(String fileName, byte[] content) throws IOException {
        String boundary = "studio-test-boundary";
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + fileName
                        + "\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8));
        body.writeBytes(content);
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        try {
            return HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create(base + "api/finetune/upload-dataset"))
                                    .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                                    .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    private static byte[] repeat(byte[] line, int times) {
        byte[] out = new byte[line.length * times];
        for (int i = 0; i < times; i++) {
            System.arraycopy(line, 0, out, i * line.length, line.length);
        }
        return out;
    }
}
