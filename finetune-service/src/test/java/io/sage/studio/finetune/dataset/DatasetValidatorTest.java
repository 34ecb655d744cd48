package io.sage.studio.finetune.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.sage.studio.common.error.HttpStatuses;
import io.sage.studio.common.error.StudioException;
import io.sage.studio.finetune.domain.Dataset.RecordError;

class DatasetValidatorTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final DatasetValidator validator = new DatasetValidator(1 << 20, 4096, 10);

    private record Result(DatasetValidator.Report report, List<JsonNode> samples) {}

    private Result validate(String text) throws IOException {
        return validate(text.getBytes(StandardCharsets.UTF_8));
    }

    private Result validate(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DatasetValidator.Report report = validator.validate(new ByteArrayInputStream(bytes), out);
        List<JsonNode> samples = out.toString(StandardCharsets.UTF_8)
                .lines()
                .map(l -> {
                    try {
                        return JSON.readTree(l);
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                })
                .toList();
        return new Result(report, samples);
    }

    @Test
    void aLineThatLooksLikeUtf16Or32IsAnEncodingErrorOnItsLineNotAnException() throws IOException {
        byte[] good = "{\"prompt\":\"P\",\"completion\":\"C\"}\n".getBytes(StandardCharsets.UTF_8);
        // Found by DatasetFuzzTest: bytes the parser takes for UCS-4 of an unsupported byte order, or UTF-16.
        byte[] ucs4 = {0x00, 0x00, (byte) 0xFF, (byte) 0xFE, 0x41, 0x0A};
        byte[] utf16 = {0x7B, 0x00, 0x22, 0x00, 0x0A};
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        file.write(good);
        file.write(ucs4);
        file.write(utf16);
        file.write(good);
        Result r = validate(file.toByteArray());
        assertThat(r.report().errors())
                .extracting(RecordError::line, RecordError::code)
                .containsExactly(tuple(2L, "invalid_encoding"), tuple(3L, "invalid_encoding"));
        assertThat(r.samples()).hasSize(2);
        Result array = validate(new byte[] {'[', 0x00, 0x00, 0x00, ']'});
        assertThat(array.report().errors()).extracting(RecordError::code).containsOnly("invalid_encoding");
    }

    @Test
    void normalisesEveryFormatToChatMessages() throws IOException {
        Result alpaca = validate("""
                {"instruction":"Add","input":"1+1","output":"2","system":"Be brief","history":[["hi","hello"]]}
                """);
        assertThat(alpaca.report().format()).isEqualTo(DatasetFormat.ALPACA);
        assertThat(alpaca.samples().get(0).toString())
                .isEqualTo("{\"messages\":["
                        + "{\"role\":\"system\",\"content\":\"Be brief\"},{\"role\":\"user\",\"content\":\"hi\"},"
                        + "{\"role\":\"assistant\",\"content\":\"hello\"},{\"role\":\"user\",\"content\":\"Add\\n\\n1+1\"},"
                        + "{\"role\":\"assistant\",\"content\":\"2\"}]}");

        Result sharegpt = validate("""
                {"conversations":[{"from":"system","value":"S"},{"from":"human","value":"Q"},{"from":"gpt","value":"A"}]}
                """);
        assertThat(sharegpt.report().format()).isEqualTo(DatasetFormat.SHAREGPT);
        assertThat(sharegpt.samples().get(0).at("/messages/2/role").asText()).isEqualTo("assistant");

        Result openai = validate("""
                {"messages":[{"role":"user","content":"Q"},{"role":"assistant","content":"A","weight":1}]}
                """);
        assertThat(openai.report().format()).isEqualTo(DatasetFormat.OPENAI);
        assertThat(openai.samples().get(0).at("/messages/1").toString())
                .isEqualTo("{\"role\":\"assistant\",\"content\":\"A\"}");

        Result pc = validate("{\"prompt\":\"P\",\"completion\":\"C\"}\n");
        assertThat(pc.report().format()).isEqualTo(DatasetFormat.PROMPT_COMPLETION);
        assertThat(pc.samples().get(0).at("/messages/0/content").asText()).isEqualTo("P");
    }

    @Test
    void reportsEachBadLineWithAnOpenAiStyleCodeAndKeepsTheGoodOnes() throws IOException {
        Result r = validate(
                String.join(
                        "\n",
                        "{\"messages\":[{\"role\":\"user\",\"content\":\"Q\"},{\"role\":\"assistant\",\"content\":\"A\"}]}",
                        "{not json",
                        "[1,2]",
                        "{\"messages\":[]}",
                        "{\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}",
                        "{\"messages\":[{\"role\":\"user\"}]}",
                        "{\"messages\":[{\"role\":\"user\",\"content\":\"only a question\"}]}",
                        "",
                        "{\"prompt\":\"p\",\"completion\":\"c\"}",
                        "{\"messages\":[{\"role\":\"user\",\"content\":\"Q2\"},{\"role\":\"assistant\",\"content\":\"A2\"}]} trailing"));
        assertThat(r.report().valid()).isEqualTo(1);
        assertThat(r.report().invalid()).isEqualTo(8);
        assertThat(r.report().errors())
                .extracting(RecordError::line, RecordError::code)
                .containsExactly(
                        tuple(2L, "invalid_json"),
                        tuple(3L, "not_an_object"),
                        tuple(4L, "missing_messages"),
                        tuple(5L, "unrecognized_role"),
                        tuple(6L, "missing_content"),
                        tuple(7L, "missing_assistant_message"),
                        tuple(9L, "format_mismatch"),
                        tuple(10L, "invalid_json"));
        assertThat(r.samples()).hasSize(1);
    }

    @Test
    void readsJsonArraysAndToleratesAByteOrderMarkAndCrLf() throws IOException {
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        String array =
                "\r\n[\r\n {\"instruction\":\"I1\",\"output\":\"O1\"},\r\n {\"instruction\":\"\",\"output\":\"O2\"},\r\n"
                        + " {\"instruction\":\"I3\",\"output\":\"O3\"}\r\n]\r\n";
        byte[] bytes = concat(bom, array.getBytes(StandardCharsets.UTF_8));
        Result r = validate(bytes);
        assertThat(r.report().valid()).isEqualTo(2);
        assertThat(r.report().errors())
                .singleElement()
                .satisfies(e -> assertThat(e.line()).isEqualTo(4))
                .satisfies(e -> assertThat(e.code()).isEqualTo("missing_instruction"));

        Result lines =
                validate(concat(bom, "{\"prompt\":\"é\",\"completion\":\"ü\"}\r\n".getBytes(StandardCharsets.UTF_8)));
        assertThat(lines.report().valid()).isEqualTo(1);
        assertThat(lines.samples().get(0).at("/messages/0/content").asText()).isEqualTo("é");
    }

    /**
     * Files joined with {@code cat} keep each part's byte order mark at the start of a line. The parser skips a mark
     * that opens its input, so such a line is valid; the stored file must not keep the mark (Python's {@code json}
     * refuses a line that starts with one). Found by {@link DatasetFuzzTest}.
     */
    @Test
    void aByteOrderMarkOpeningALaterLineIsDroppedNotCopied() throws IOException {
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        String canonical = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},"
                + "{\"role\":\"assistant\",\"content\":\"hello\"}]}\n";
        String other = "{\"prompt\":\"p\",\"completion\":\"c\"}\n";
        for (String line : List.of(canonical, other)) {
            byte[] text = line.getBytes(StandardCharsets.UTF_8);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            DatasetValidator.Report report =
                    validator.validate(new ByteArrayInputStream(concat(bom, text, bom, text, bom, bom, text)), out);
            assertThat(report.errors()).as(line).hasSize(1).first().satisfies(e -> {
                assertThat(e.line()).isEqualTo(3); // two marks: the second is not JSON text
                assertThat(e.code()).isEqualTo("invalid_encoding");
            });
            assertThat(report.valid()).isEqualTo(2);
            String written = out.toString(StandardCharsets.UTF_8);
            assertThat(written).doesNotContain("\uFEFF");
            assertThat(written.lines()).hasSize(2).allSatisfy(l -> assertThat(l).startsWith("{"));
        }
    }

    @Test
    void aMalformedArrayIsRejectedAsAWhole() throws IOException {
        Result r = validate("[{\"prompt\":\"p\",\"completion\":\"c\"},\n{\"prompt\": oops}]");
        assertThat(r.report().fatal()).isTrue();
        assertThat(r.report().usable()).isFalse();
        assertThat(r.report().errors()).last().satisfies(e -> {
            assertThat(e.line()).isEqualTo(2);
            assertThat(e.code()).isEqualTo("invalid_json");
        });
    }

    @Test
    void flagsInvalidUtf8AndOversizedRecords() throws IOException {
        byte[] bad = concat(
                "{\"prompt\":\"".getBytes(StandardCharsets.UTF_8),
                new byte[] {(byte) 0xC3, 0x28},
                "\",\"completion\":\"c\"}\n".getBytes(StandardCharsets.UTF_8));
        String big = "{\"prompt\":\"" + "x".repeat(5000) + "\",\"completion\":\"c\"}\n";
        Result r = validate(concat(
                bad,
                big.getBytes(StandardCharsets.UTF_8),
                "{\"prompt\":\"p\",\"completion\":\"c\"}".getBytes(StandardCharsets.UTF_8)));
        assertThat(r.report().errors())
                .extracting(RecordError::code)
                .containsExactly("invalid_encoding", "record_too_large");
        assertThat(r.report().valid()).isEqualTo(1);
    }

    @Test
    void stopsReadingPastTheSizeLimitWith413() {
        DatasetValidator small = new DatasetValidator(100, 4096, 10);
        InputStream endless = new InputStream() {
            @Override
            public int read() {
                return ' ';
            }
        };
        assertThatThrownBy(() -> small.validate(endless, new ByteArrayOutputStream()))
                .isInstanceOf(StudioException.class)
                .satisfies(e -> assertThat(HttpStatuses.of((StudioException) e)).isEqualTo(413));
    }

    @Test
    void workersCheckBatchesAndTheMergeEqualsTheCheckOnOneThread() throws IOException {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            text.append(
                    switch (i % 7) {
                        case 3 -> "{\"messages\":[{\"role\":\"user\",\"content\":\"q" + i + "\"}]}\n"; // no answer
                        case 5 -> "not json " + i + "\n";
                        case 6 ->
                            "{\"messages\": [{\"role\": \"user\", \"content\": \"\\u00e9" + i
                                    + "\"}, {\"role\": \"assistant\", \"content\": \"a\"}]}\r\n"; // tree path
                        default ->
                            "{\"messages\":[{\"role\":\"user\",\"content\":\"q" + i
                                    + "\"},{\"role\":\"assistant\",\"content\":\"a\\n" + i + "\"}]}\n";
                    });
        }
        text.append("{\"prompt\":\"" + "x".repeat(5000) + "\",\"completion\":\"c\"}\n{\"prompt\":\"p\"}");
        byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
        AtomicInteger batches = new AtomicInteger();
        Executor workers = task -> {
            batches.incrementAndGet();
            Thread thread = new Thread(task);
            thread.start();
        };
        DatasetValidator onWorkers = new DatasetValidator(1 << 20, 4096, 10, workers, 500);

        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        DatasetValidator.Report one = validator.validate(new ByteArrayInputStream(bytes), expected);
        ByteArrayOutputStream actual = new ByteArrayOutputStream();
        DatasetValidator.Report merged = onWorkers.validate(new ByteArrayInputStream(bytes), actual);

        assertThat(batches).as("batches handed to workers").hasValueGreaterThan(50);
        assertThat(merged).isEqualTo(one);
        assertThat(actual.toByteArray()).isEqualTo(expected.toByteArray());
        assertThat(one.invalid())
                .as("57 lines each of no answer and not JSON, one too large, one incomplete")
                .isEqualTo(57 + 57 + 2);
        assertThat(one.errors()).hasSize(10);
        assertThat(one.errors()).extracting(RecordError::line).startsWith(4L, 6L, 11L, 13L);
    }

    @Test
    void onWorkersTooALargeUploadStopsWith413() {
        DatasetValidator small = new DatasetValidator(10_000, 4096, 10, Runnable::run, 100);
        InputStream endless = new InputStream() {
            private final byte[] line =
                    "{\"messages\":[{\"role\":\"assistant\",\"content\":\"a\"}]}\n".getBytes(StandardCharsets.UTF_8);
            private long at;

            @Override
            public int read() {
                return line[(int) (at++ % line.length)];
            }
        };
        assertThatThrownBy(() -> small.validate(endless, new ByteArrayOutputStream()))
                .isInstanceOf(StudioException.class)
                .satisfies(e -> assertThat(HttpStatuses.of((StudioException) e)).isEqualTo(413));
    }

    @Test
    void countsCharactersAndEstimatesTokens() throws IOException {
        Result r =
                validate("{\"prompt\":\"abcd\",\"completion\":\"efgh\"}\n{\"prompt\":\"你好\",\"completion\":\"ab\"}\n");
        assertThat(r.report().totalChars()).isEqualTo(12);
        assertThat(r.report().maxChars()).isEqualTo(8);
        assertThat(r.report().avgChars()).isEqualTo(6.0);
        assertThat(r.report().estimatedTokens()).isEqualTo((1 + 4) + (1 + 4) + (2 + 4) + (1 + 4));
    }

    @Test
    void anEmptyFileIsUnusable() throws IOException {
        Result r = validate("\n\n  \n");
        assertThat(r.report().usable()).isFalse();
        assertThat(r.report().errors()).extracting(RecordError::code).containsExactly("empty_file");
    }

    @Test
    void errorsNameTheLineAndTheProblemButNeverQuoteTheText() throws IOException {
        String secret = "sk-live-7f3a9c2e51b8";
        Result r = validate(String.join(
                "\n",
                "SAGE_CHAT_API_KEY=" + secret,
                secret,
                "{\"prompt\": " + secret + "}",
                "{\"messages\":[{\"role\":\"" + secret + "\",\"content\":\"x\"}]}",
                "{\"conversations\":[{\"from\":\"" + secret + "\",\"value\":\"x\"}]}",
                "{\"prompt\":\"p\",\"completion\":\"c\"} [\"" + secret + "\"]",
                "{\"prompt\":\"p\\q" + secret + "\"}"));
        assertThat(r.report().errors()).extracting(RecordError::line).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L);
        assertThat(r.report().errors()).allSatisfy(e -> {
            assertThat(e.message())
                    .doesNotContain(secret)
                    .doesNotContain("SAGE_CHAT")
                    .doesNotContain("sk-");
            assertThat(e.code()).isIn("invalid_json", "unrecognized_role", "unrecognized_format");
        });
        assertThat(r.report().errors().get(0).message())
                .startsWith("line is not valid JSON (column ")
                .endsWith(": an unquoted word that is not true, false or null");
        assertThat(r.report().errors().get(5).message()).endsWith(": more than one JSON value");

        Result array = validate("[{\"prompt\":\"p\",\"completion\":\"c\"},\n" + secret + "]");
        assertThat(array.report().errors()).singleElement().satisfies(e -> {
            assertThat(e.line()).isEqualTo(2);
            assertThat(e.code()).isEqualTo("invalid_json");
            assertThat(e.message()).doesNotContain(secret).startsWith("the JSON array is malformed");
        });
    }

    @Test
    void aFileThatStartsLikeAByteOrderMarkButIsNoneIsAnEncodingErrorOnLineOne() throws IOException {
        Result r = validate(new byte[] {(byte) 0xEF, 'x', 'y', '\n'});
        assertThat(r.report().usable()).isFalse();
        assertThat(r.report().errors())
                .extracting(RecordError::line, RecordError::code)
                .containsExactly(tuple(1L, "invalid_encoding"));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
