package io.sage.studio.finetune.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.sage.studio.finetune.domain.Dataset.RecordError;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.Tuple.Tuple2;

/**
 * Property-based fuzzing of the dataset parser and normaliser: 10,000 generated inputs in all — valid records of
 * every format (JSONL or a JSON array, with byte-order marks, CRLF and empty lines), mutated ones, random bytes
 * (invalid UTF-8 included), over-long lines and arbitrary JSON trees. No exception escapes; every rejection names
 * a line (1 or more, within the file) and a code of the documented list; every valid input is normalised to the
 * chat format with exactly the messages its record meant.
 */
class DatasetFuzzTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_RECORD = 4096;
    private static final Set<String> ROLES = Set.of("system", "user", "assistant");
    private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

    private final DatasetValidator validator = new DatasetValidator(1 << 22, MAX_RECORD, 1000);
    /** Two workers and a queue of two, so batches also run on the reading thread when it is full. */
    private static final ThreadPoolExecutor WORKERS = new ThreadPoolExecutor(
            2,
            2,
            1,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(2),
            r -> {
                Thread t = new Thread(r, "fuzz-check");
                t.setDaemon(true);
                return t;
            },
            (task, executor) -> task.run());
    /** The same checks on workers, in batches of ~64 bytes, so nearly every line is a batch boundary. */
    private final DatasetValidator parallel = new DatasetValidator(1 << 22, MAX_RECORD, 1000, WORKERS, 64);
    /** One and several workers with a short error list: the merge keeps the file's first errors. */
    private final DatasetValidator fewErrors = new DatasetValidator(1 << 22, MAX_RECORD, 3);

    private final DatasetValidator fewErrorsParallel = new DatasetValidator(1 << 22, MAX_RECORD, 3, WORKERS, 200);

    /** One generated record and the chat messages it must become. */
    record Sample(DatasetFormat format, JsonNode record, List<ChatMessage> expected) {}

    /** How a list of records is written to a file. */
    record Layout(boolean array, boolean bom, boolean crlf, int blankLinesEvery) {}

    private record Run(DatasetValidator.Report report, List<JsonNode> samples) {}

    /**
     * Validates on the calling thread, and checks that the validation on workers wrote the same bytes and reported
     * the same (also with a short error list).
     */
    private Run validate(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DatasetValidator.Report report = validator.validate(new ByteArrayInputStream(bytes), out);
        ByteArrayOutputStream parallelOut = new ByteArrayOutputStream();
        assertThat(parallel.validate(new ByteArrayInputStream(bytes), parallelOut))
                .as("on workers")
                .isEqualTo(report);
        assertThat(parallelOut.toByteArray()).as("written on workers").isEqualTo(out.toByteArray());
        ByteArrayOutputStream fewOut = new ByteArrayOutputStream();
        assertThat(fewErrorsParallel.validate(new ByteArrayInputStream(bytes), fewOut))
                .as("on workers, three errors listed")
                .isEqualTo(fewErrors.validate(new ByteArrayInputStream(bytes), new ByteArrayOutputStream()));
        List<JsonNode> samples = new ArrayList<>();
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
            if (!line.isEmpty()) {
                samples.add(JSON.readTree(line));
            }
        }
        return new Run(report, samples);
    }

    // ------------------------------------------------------------------ properties (10,000 tries in all)

    @Property(tries = 2500)
    void validRecordsOfEveryFormatNormaliseToExactlyTheirChatMessages(
            @ForAll("datasets") List<Sample> records, @ForAll("layouts") Layout layout) throws IOException {
        Run run = validate(render(records, layout));
        assertThat(run.report().errors()).isEmpty();
        assertThat(run.report().valid()).isEqualTo(records.size());
        assertThat(run.report().format()).isEqualTo(records.get(0).format());
        assertThat(run.samples()).hasSize(records.size());
        for (int i = 0; i < records.size(); i++) {
            assertThat(messages(run.samples().get(i))).isEqualTo(records.get(i).expected());
        }
    }

    @Property(tries = 3000)
    void mutatedRecordsAreRejectedByLineAndCodeOrNormalisedNeverThrown(
            @ForAll("datasets") List<Sample> records,
            @ForAll("layouts") Layout layout,
            @ForAll("mutations") List<Tuple2<Integer, String>> mutations)
            throws IOException {
        String text = new String(render(records, layout), StandardCharsets.UTF_8);
        StringBuilder mutated = new StringBuilder(text);
        for (Tuple2<Integer, String> m : mutations) {
            int at = Math.floorMod(m.get1(), mutated.length() + 1);
            String op = m.get2();
            if (op.equals("DEL") && at < mutated.length()) {
                mutated.deleteCharAt(at);
            } else if (op.equals("CUT")) {
                mutated.setLength(at);
            } else if (op.equals("DUP") && at < mutated.length()) {
                int end = mutated.indexOf("\n", at);
                mutated.insert(at, mutated.substring(at, end < 0 ? mutated.length() : end + 1));
            } else if (!op.equals("DEL") && !op.equals("DUP")) {
                mutated.insert(at, op);
            }
        }
        byte[] bytes = mutated.toString().getBytes(StandardCharsets.UTF_8);
        assertWellBehaved(bytes, validate(bytes));
    }

    @Property(tries = 2500)
    void randomBytesNeverThrowAndEveryRejectionNamesALineAndACode(@ForAll("noise") byte[] bytes) throws IOException {
        assertWellBehaved(bytes, validate(bytes));
    }

    @Property(tries = 500)
    void anOverlongLineIsRejectedOnItsOwnLineAndTheRestIsKept(
            @ForAll("datasets") List<Sample> records, @ForAll("overlongAt") int position, @ForAll("crlf") boolean crlf)
            throws IOException {
        List<String> lines = new ArrayList<>();
        for (Sample s : records) {
            lines.add(JSON.writeValueAsString(s.record()));
        }
        int at = Math.min(position, lines.size());
        lines.add(at, "{\"prompt\":\"" + "x".repeat(MAX_RECORD) + "\",\"completion\":\"c\"}");
        byte[] bytes = String.join(crlf ? "\r\n" : "\n", lines).getBytes(StandardCharsets.UTF_8);
        Run run = validate(bytes);
        assertThat(run.report().errors())
                .extracting(RecordError::line, RecordError::code)
                .containsExactly(tuple((long) at + 1, "record_too_large"));
        assertThat(run.report().valid()).isEqualTo(records.size());
        assertWellBehaved(bytes, run);
    }

    @Property(tries = 1500)
    void anyJsonValueIsNormalisedToChatOrRejectedWithADocumentedCode(
            @ForAll("trees") JsonNode tree, @ForAll("expectedFormats") DatasetFormat expected) {
        RecordNormalizer.Result result = RecordNormalizer.normalize(tree, expected);
        if (result.valid()) {
            assertChat(result.messages());
        } else {
            assertThat(result.code()).isIn(DatasetValidator.ERROR_CODES);
            assertThat(result.message()).isNotBlank();
        }
    }

    @Example
    void theReadmeDocumentsEveryErrorCode() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        assertThat(DatasetValidator.ERROR_CODES)
                .allSatisfy(code -> assertThat(readme).contains("`" + code + "`"));
    }

    // ------------------------------------------------------------------ checks

    /** No exception came out (the caller got here); rejections name a line in the file and a documented code. */
    private static void assertWellBehaved(byte[] bytes, Run run) {
        long lines = 1;
        for (byte b : bytes) {
            if (b == '\n') {
                lines++;
            }
        }
        for (RecordError e : run.report().errors()) {
            assertThat(e.line()).as(e.toString()).isBetween(1L, lines);
            assertThat(e.code()).as(e.toString()).isIn(DatasetValidator.ERROR_CODES);
            assertThat(e.message()).as(e.toString()).isNotBlank();
        }
        if (!run.report().usable()) {
            assertThat(run.report().errors()).as("an unusable file says why").isNotEmpty();
        }
        assertThat(run.samples()).hasSize((int) run.report().valid());
        run.samples().forEach(sample -> assertChat(messages(sample)));
    }

    private static void assertChat(List<ChatMessage> messages) {
        assertThat(messages).isNotEmpty().allSatisfy(m -> {
            assertThat(m.role()).isIn(ROLES);
            assertThat(m.content()).isNotNull();
        });
        assertThat(messages)
                .anyMatch(m -> m.role().equals("assistant") && !m.content().isBlank());
    }

    private static List<ChatMessage> messages(JsonNode sample) {
        assertThat(sample.fieldNames()).toIterable().containsExactly("messages");
        List<ChatMessage> out = new ArrayList<>();
        for (JsonNode m : sample.get("messages")) {
            assertThat(m.fieldNames()).toIterable().containsExactly("role", "content");
            out.add(new ChatMessage(m.get("role").asText(), m.get("content").asText()));
        }
        return out;
    }

    private static byte[] render(List<Sample> records, Layout layout) throws JsonProcessingException {
        String eol = layout.crlf() ? "\r\n" : "\n";
        StringBuilder text = new StringBuilder();
        if (layout.array()) {
            ArrayNode array = JSON.createArrayNode();
            records.forEach(s -> array.add(s.record()));
            text.append(
                    layout.blankLinesEvery() % 2 == 0
                            ? JSON.writeValueAsString(array)
                            : JSON.writerWithDefaultPrettyPrinter()
                                    .writeValueAsString(array)
                                    .replace("\n", eol));
        } else {
            for (int i = 0; i < records.size(); i++) {
                if (layout.blankLinesEvery() > 0 && i % layout.blankLinesEvery() == 0) {
                    text.append(eol).append("  \t").append(eol);
                }
                text.append(JSON.writeValueAsString(records.get(i).record())).append(eol);
            }
        }
        byte[] body = text.toString().getBytes(StandardCharsets.UTF_8);
        if (!layout.bom()) {
            return body;
        }
        byte[] withBom = new byte[BOM.length + body.length];
        System.arraycopy(BOM, 0, withBom, 0, BOM.length);
        System.arraycopy(body, 0, withBom, BOM.length, body.length);
        return withBom;
    }

    // ------------------------------------------------------------------ generators

    /** Any BMP text without lone surrogates: controls, quotes, backslashes, CJK, … */
    private static Arbitrary<String> text() {
        return Arbitraries.oneOf(
                Arbitraries.strings().withCharRange('\u0000', '\uD7FF').ofMaxLength(40),
                Arbitraries.strings().withChars("\"\\{}[]:,\n\r\t ").ofMaxLength(10),
                Arbitraries.strings().alpha().numeric().ofMaxLength(20));
    }

    private static Arbitrary<String> nonBlank() {
        return text().filter(s -> !s.isBlank());
    }

    private static Arbitrary<Sample> openai() {
        Arbitrary<ChatMessage> message = Combinators.combine(Arbitraries.of("system", "user", "assistant"), text())
                .as(ChatMessage::new);
        return Combinators.combine(
                        message.list().ofMaxSize(4), nonBlank(), message.list().ofMaxSize(2))
                .as((before, answer, after) -> {
                    List<ChatMessage> all = new ArrayList<>(before);
                    all.add(ChatMessage.assistant(answer));
                    all.addAll(after);
                    ObjectNode record = JsonNodeFactory.instance.objectNode();
                    ArrayNode messages = record.putArray("messages");
                    all.forEach(m -> messages.addObject().put("role", m.role()).put("content", m.content()));
                    return new Sample(DatasetFormat.OPENAI, record, all);
                });
    }

    private static Arbitrary<Sample> sharegpt() {
        Map<String, String> roles = Map.of("human", "user", "gpt", "assistant", "system", "system");
        Arbitrary<Tuple2<String, String>> turn = Combinators.combine(Arbitraries.of("human", "gpt", "system"), text())
                .as(Tuple::of);
        return Combinators.combine(turn.list().ofMaxSize(4), nonBlank(), text().injectNull(0.5))
                .as((turns, answer, system) -> {
                    ObjectNode record = JsonNodeFactory.instance.objectNode();
                    List<ChatMessage> expected = new ArrayList<>();
                    if (system != null) {
                        record.put("system", system);
                        if (!system.isBlank()) {
                            expected.add(ChatMessage.system(system));
                        }
                    }
                    ArrayNode conversations = record.putArray("conversations");
                    for (Tuple2<String, String> t : turns) {
                        conversations.addObject().put("from", t.get1()).put("value", t.get2());
                        expected.add(new ChatMessage(roles.get(t.get1()), t.get2()));
                    }
                    conversations.addObject().put("from", "gpt").put("value", answer);
                    expected.add(ChatMessage.assistant(answer));
                    return new Sample(DatasetFormat.SHAREGPT, record, expected);
                });
    }

    private static Arbitrary<Sample> alpaca() {
        Arbitrary<Tuple2<String, String>> pair =
                Combinators.combine(text(), text()).as(Tuple::of);
        return Combinators.combine(
                        nonBlank(),
                        text().injectNull(0.4),
                        nonBlank(),
                        text().injectNull(0.5),
                        pair.list().ofMaxSize(3))
                .as((instruction, input, output, system, history) -> {
                    ObjectNode record = JsonNodeFactory.instance.objectNode();
                    List<ChatMessage> expected = new ArrayList<>();
                    record.put("instruction", instruction);
                    if (input != null) {
                        record.put("input", input);
                    }
                    record.put("output", output);
                    if (system != null) {
                        record.put("system", system);
                        if (!system.isBlank()) {
                            expected.add(ChatMessage.system(system));
                        }
                    }
                    if (!history.isEmpty()) {
                        ArrayNode h = record.putArray("history");
                        for (Tuple2<String, String> p : history) {
                            h.addArray().add(p.get1()).add(p.get2());
                            expected.add(ChatMessage.user(p.get1()));
                            expected.add(ChatMessage.assistant(p.get2()));
                        }
                    }
                    expected.add(ChatMessage.user(
                            input == null || input.isBlank() ? instruction : instruction + "\n\n" + input));
                    expected.add(ChatMessage.assistant(output));
                    return new Sample(DatasetFormat.ALPACA, record, expected);
                });
    }

    private static Arbitrary<Sample> promptCompletion() {
        return Combinators.combine(nonBlank(), nonBlank()).as((prompt, completion) -> {
            ObjectNode record =
                    JsonNodeFactory.instance.objectNode().put("prompt", prompt).put("completion", completion);
            return new Sample(
                    DatasetFormat.PROMPT_COMPLETION,
                    record,
                    List.of(ChatMessage.user(prompt), ChatMessage.assistant(completion)));
        });
    }

    @Provide
    Arbitrary<List<Sample>> datasets() {
        return Arbitraries.of(DatasetFormat.values())
                .flatMap(format -> (switch (format) {
                            case OPENAI -> openai();
                            case SHAREGPT -> sharegpt();
                            case ALPACA -> alpaca();
                            case PROMPT_COMPLETION -> promptCompletion();
                        })
                        .list()
                        .ofMinSize(1)
                        .ofMaxSize(8));
    }

    @Provide
    Arbitrary<Layout> layouts() {
        return Combinators.combine(
                        Arbitraries.of(false, true),
                        Arbitraries.of(false, true),
                        Arbitraries.of(false, true),
                        Arbitraries.integers().between(0, 4))
                .as(Layout::new);
    }

    @Provide
    Arbitrary<List<Tuple2<Integer, String>>> mutations() {
        Arbitrary<String> op = Arbitraries.oneOf(
                Arbitraries.of(
                        "DEL",
                        "CUT",
                        "DUP",
                        "\n",
                        "\r\n",
                        "\"",
                        "{",
                        "}",
                        "[",
                        "]",
                        ",",
                        ":",
                        "\\",
                        "\\u12",
                        "\u0000",
                        "\uFEFF",
                        "null",
                        "1e999999",
                        "-",
                        "tru",
                        "\"role\"",
                        "\"messages\"",
                        "\"prompt\":1,"),
                Arbitraries.strings()
                        .withCharRange('\u0000', '\uD7FF')
                        .ofMinLength(1)
                        .ofMaxLength(3));
        return Combinators.combine(Arbitraries.integers().greaterOrEqual(0), op)
                .as(Tuple::of)
                .list()
                .ofMinSize(1)
                .ofMaxSize(6);
    }

    @Provide
    Arbitrary<byte[]> noise() {
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(2048);
        Arbitrary<byte[]> jsonish = Arbitraries.bytes()
                .between((byte) 0x20, (byte) 0x7E)
                .array(byte[].class)
                .ofMaxSize(512)
                .map(b -> {
                    byte[] framed = new byte[b.length + 2];
                    framed[0] = '{';
                    System.arraycopy(b, 0, framed, 1, b.length);
                    framed[framed.length - 1] = '}';
                    return framed;
                });
        Arbitrary<byte[]> invalidUtf8 = Arbitraries.of(
                        new byte[] {(byte) 0xC3, 0x28},
                        new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                        new byte[] {(byte) 0xFF},
                        new byte[] {(byte) 0xF0, (byte) 0x90},
                        BOM,
                        new byte[] {(byte) 0xEF})
                .list()
                .ofMaxSize(4)
                .map(parts -> {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    out.writeBytes("{\"prompt\":\"".getBytes(StandardCharsets.UTF_8));
                    parts.forEach(out::writeBytes);
                    out.writeBytes("\",\"completion\":\"c\"}\n[\n".getBytes(StandardCharsets.UTF_8));
                    parts.forEach(out::writeBytes);
                    return out.toByteArray();
                });
        return Arbitraries.oneOf(random, jsonish, invalidUtf8);
    }

    @Provide
    Arbitrary<Integer> overlongAt() {
        return Arbitraries.integers().between(0, 8);
    }

    @Provide
    Arbitrary<Boolean> crlf() {
        return Arbitraries.of(false, true);
    }

    @Provide
    Arbitrary<DatasetFormat> expectedFormats() {
        return Arbitraries.of(DatasetFormat.values()).injectNull(0.4);
    }

    @Provide
    Arbitrary<JsonNode> trees() {
        return tree(3);
    }

    private static Arbitrary<JsonNode> tree(int depth) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        Arbitrary<JsonNode> leaf = Arbitraries.oneOf(
                text().map(f::textNode),
                Arbitraries.integers().map(f::numberNode),
                Arbitraries.of(f.booleanNode(true), f.booleanNode(false), f.nullNode()),
                Arbitraries.of("system", "user", "assistant", "human", "gpt", "robot", "")
                        .map(f::textNode));
        if (depth == 0) {
            return leaf;
        }
        Arbitrary<String> keys = Arbitraries.oneOf(
                Arbitraries.of(
                        "messages",
                        "role",
                        "content",
                        "conversations",
                        "from",
                        "value",
                        "instruction",
                        "input",
                        "output",
                        "system",
                        "history",
                        "prompt",
                        "completion"),
                Arbitraries.strings().alpha().ofMaxLength(6));
        Arbitrary<JsonNode> object = Combinators.combine(keys, Arbitraries.lazy(() -> tree(depth - 1)))
                .as(Tuple::of)
                .list()
                .ofMaxSize(5)
                .map(entries -> {
                    ObjectNode node = f.objectNode();
                    entries.forEach(e -> node.set(e.get1(), e.get2()));
                    return (JsonNode) node;
                });
        Arbitrary<JsonNode> array = Arbitraries.lazy(() -> tree(depth - 1))
                .list()
                .ofMaxSize(4)
                .map(items -> (JsonNode) f.arrayNode().addAll(items));
        return Arbitraries.frequencyOf(Tuple.of(2, leaf), Tuple.of(4, object), Tuple.of(2, array));
    }
}
