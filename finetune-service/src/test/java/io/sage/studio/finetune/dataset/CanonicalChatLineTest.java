package io.sage.studio.finetune.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.sage.studio.finetune.domain.Dataset.RecordError;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;

/**
 * The validator's fast path for canonical chat lines ({@link CanonicalChatLine}) against the tree path it shortcuts:
 * the same normalised bytes, counts and statistics for any content (escapes, control characters, surrogates, CJK), the
 * tree path's exact errors for lines it declines, and exact line numbers however lines fall across read buffers.
 */
class CanonicalChatLineTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_RECORD = 1 << 20;

    private final DatasetValidator validator = new DatasetValidator(1L << 30, MAX_RECORD, 1000);

    private record Run(DatasetValidator.Report report, String output) {}

    private Run validate(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DatasetValidator.Report report = validator.validate(new ByteArrayInputStream(bytes), out);
        return new Run(report, out.toString(StandardCharsets.UTF_8));
    }

    private Run validate(String text) throws IOException {
        return validate(text.getBytes(StandardCharsets.UTF_8));
    }

    /** What the tree path writes for these messages: the databind serialiser of the normalised sample. */
    private static String treePathLine(List<ChatMessage> messages) throws IOException {
        byte[] line =
                JSON.writerFor(DatasetValidator.Sample.class).writeValueAsBytes(new DatasetValidator.Sample(messages));
        return new String(line, StandardCharsets.UTF_8) + "\n";
    }

    private static String canonical(List<ChatMessage> messages) {
        StringBuilder line = new StringBuilder("{\"messages\":[");
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            line.append(i > 0 ? "," : "")
                    .append("{\"role\":\"")
                    .append(m.role())
                    .append("\",\"content\":\"")
                    .append(escapeSurrogates(JsonStringEncoder.getInstance().quoteAsString(m.content())))
                    .append("\"}");
        }
        return line.append("]}").toString();
    }

    /** UTF-8 has no lone surrogate, so in a file a surrogate is written as JSON's \\u escape. */
    private static String escapeSurrogates(char[] quoted) {
        StringBuilder out = new StringBuilder(quoted.length);
        for (char c : quoted) {
            if (Character.isSurrogate(c)) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    @Property(tries = 1000)
    void canonicalLinesAreWrittenByteForByteAsTheTreePathWritesThem(@ForAll("chats") List<ChatMessage> messages)
            throws IOException {
        Run run = validate(canonical(messages) + "\n");
        assertThat(run.report().errors()).isEmpty();
        assertThat(run.report().valid()).isEqualTo(1);
        assertThat(run.output()).isEqualTo(treePathLine(messages));
        long chars = messages.stream().mapToLong(m -> m.content().length()).sum();
        long tokens = messages.stream()
                .mapToLong(m -> DatasetValidator.estimateTokens(m.content()) + 4)
                .sum();
        assertThat(run.report().totalChars()).isEqualTo(chars);
        assertThat(run.report().maxChars()).isEqualTo(chars);
        assertThat(run.report().estimatedTokens()).isEqualTo(tokens);
        assertThat(run.report().format()).isEqualTo(DatasetFormat.OPENAI);
    }

    /**
     * However a record is written (spaces between tokens, {@code \\u} escapes in either case, an escaped solidus, raw
     * UTF-8 outside the BMP), the stored bytes are the tree path's.
     */
    @Property(tries = 1000)
    void everyWayOfWritingTheSameRecordIsStoredAsTheSameBytes(
            @ForAll("chats") List<ChatMessage> messages, @ForAll @LongRange(min = 0, max = 1000) long seed)
            throws IOException {
        java.util.Random random = new java.util.Random(seed);
        String sep = random.nextBoolean() ? " " : "";
        StringBuilder line = new StringBuilder("{\"messages\":" + sep + "[");
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            line.append(i > 0 ? "," + sep : "")
                    .append("{\"role\":" + sep + "\"")
                    .append(m.role());
            line.append("\"," + sep + "\"content\":" + sep + "\"");
            m.content().codePoints().forEach(cp -> {
                String character = new String(Character.toChars(cp));
                int pick = random.nextInt(8);
                if (pick == 0 || pick == 1 || Character.isSurrogate(character.charAt(0)) && character.length() == 1) {
                    // \\u escapes, upper- or lower-case (Python writes lower-case), a lone surrogate always so
                    for (char c : character.toCharArray()) {
                        line.append(String.format(pick == 0 ? "\\u%04X" : "\\u%04x", (int) c));
                    }
                } else if (pick == 2 && cp == '/') {
                    line.append("\\/");
                } else {
                    // as JSON escapes it, other characters (outside the BMP too) as raw UTF-8
                    line.append(JsonStringEncoder.getInstance().quoteAsString(character));
                }
            });
            line.append("\"}");
        }
        Run run = validate(line.append("]}\n").toString());
        assertThat(run.report().valid()).isEqualTo(1);
        assertThat(run.output()).isEqualTo(treePathLine(messages));
    }

    @Example
    void rawCharactersOutsideTheBmpAreStoredAsTheGeneratorEscapesThem() throws IOException {
        List<ChatMessage> chat = List.of(ChatMessage.user("a 😀 b"), ChatMessage.assistant("ok 👍 \uD83D"));
        String compact = "{\"messages\":[{\"role\":\"user\",\"content\":\"a 😀 b\"},"
                + "{\"role\":\"assistant\",\"content\":\"ok 👍 \\ud83d\"}]}";
        Run run = validate(compact + "\n");
        assertThat(run.output())
                .isEqualTo(treePathLine(chat))
                .contains("a \\uD83D\\uDE00 b")
                .contains("ok \\uD83D\\uDC4D \\uD83D");
        assertThat(run.report().totalChars())
                .isEqualTo(
                        chat.get(0).content().length() + chat.get(1).content().length());
    }

    /** Bytes the parser decodes leniently (overlong forms, encoded surrogates) are never stored as they came. */
    @Example
    void malformedUtf8IsNeverCopiedIntoTheStoredFile() throws IOException {
        byte[][] contents = {
            {(byte) 0xC0, (byte) 0xAF}, // overlong '/'
            {(byte) 0xE0, (byte) 0x80, (byte) 0xAF}, // overlong '/'
            {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, // an encoded surrogate
            {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, // past U+10FFFF
            {(byte) 0xE6, (byte) 0xBC}, // cut short
        };
        for (byte[] content : contents) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            line.writeBytes("{\"messages\":[{\"role\":\"user\",\"content\":\"a".getBytes(StandardCharsets.UTF_8));
            line.writeBytes(content);
            line.writeBytes("\"},{\"role\":\"assistant\",\"content\":\"b\"}]}\n".getBytes(StandardCharsets.UTF_8));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            validator.validate(new ByteArrayInputStream(line.toByteArray()), out);
            try {
                StandardCharsets.UTF_8
                        .newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(out.toByteArray()));
            } catch (CharacterCodingException e) {
                throw new AssertionError(
                        "stored bytes are not UTF-8 for content " + java.util.Arrays.toString(content));
            }
        }
    }

    @Provide
    Arbitrary<List<ChatMessage>> chats() {
        Arbitrary<String> text = Arbitraries.oneOf(
                Arbitraries.strings().ofMaxLength(40),
                Arbitraries.strings().all().ofMaxLength(20),
                Arbitraries.strings()
                        .withChars("\"\\/\n\r\t\b\f\u0000\u001f\u2028\ud800\udc00 é漢")
                        .ofMaxLength(20));
        Arbitrary<ChatMessage> question =
                Combinators.combine(Arbitraries.of("system", "user"), text).as(ChatMessage::new);
        Arbitrary<ChatMessage> answer = Arbitraries.strings()
                .ofMinLength(1)
                .ofMaxLength(30)
                .filter(s -> !s.isBlank())
                .map(ChatMessage::assistant);
        return Combinators.combine(
                        question.list().ofMaxSize(4), answer, question.list().ofMaxSize(2))
                .as((before, a, after) -> {
                    List<ChatMessage> all = new ArrayList<>(before);
                    all.add(a);
                    all.addAll(after);
                    return all;
                });
    }

    @Example
    void linesTheFastPathDeclinesAreNormalisedOrRejectedByTheTreePath() throws IOException {
        Run run = validate(String.join(
                "\n",
                "{\"messages\":[{\"content\":\"Q\",\"role\":\"user\"},{\"role\":\"assistant\",\"content\":\"A\"}]}",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Q\"},{\"role\":\"assistant\",\"content\":\"A\",\"weight\":1}]}",
                "{\"id\":7,\"messages\":[{\"role\":\"user\",\"content\":\"Q\"},{\"role\":\"assistant\",\"content\":\"A\"}]}",
                "{\"messages\":[{\"role\":\"user\",\"role\":\"assistant\",\"content\":\"A\"}]}",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Q\"},{\"role\":\"assistant\",\"content\":\"   \"}]}",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Q\"},{\"role\":\"assistant\",\"content\":7}]}",
                "{\"messages\":[{\"role\":\"robot\",\"content\":\"Q\"}]}",
                "{\"messages\":[]}",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Q\"},{\"role\":\"assistant\",\"content\":\"A\"}]} {}",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Q\"},{\"role\":\"assistant\",\"content\":\"A\"}]",
                "{\"prompt\":\"P\",\"completion\":\"C\"}"));
        String expected = treePathLine(List.of(ChatMessage.user("Q"), ChatMessage.assistant("A")));
        // A duplicate key: the tree path keeps the last value, as it always did.
        String duplicate = treePathLine(List.of(ChatMessage.assistant("A")));
        assertThat(run.output()).isEqualTo(expected.repeat(3) + duplicate);
        assertThat(run.report().valid()).isEqualTo(4);
        assertThat(run.report().errors())
                .extracting(RecordError::line, RecordError::code)
                .containsExactly(
                        tuple(5L, "missing_assistant_message"),
                        tuple(6L, "missing_content"),
                        tuple(7L, "unrecognized_role"),
                        tuple(8L, "missing_messages"),
                        tuple(9L, "invalid_json"),
                        tuple(10L, "invalid_json"),
                        tuple(11L, "format_mismatch"));
    }

    @Example
    void errorsNameTheirExactLineAmongThousandsOfCanonicalLinesAcrossReadBuffers() throws IOException {
        StringBuilder file = new StringBuilder();
        List<Long> bad = List.of(1_234L, 4_321L, 9_999L, 10_000L);
        for (long line = 1; line <= 10_000; line++) {
            if (bad.contains(line)) {
                file.append("{\"messages\":[{\"role\":\"user\",\"content\":\"no answer\"}]}");
            } else {
                // Lines of varied length, so that line breaks fall anywhere in the 64 KiB reads.
                file.append(canonical(List.of(
                        ChatMessage.user("question " + line + " " + "x".repeat((int) (line * 7 % 300))),
                        ChatMessage.assistant("answer " + line))));
            }
            file.append(line % 3 == 0 ? "\r\n" : "\n");
        }
        Run run = validate(file.toString());
        assertThat(run.report().valid()).isEqualTo(10_000 - bad.size());
        assertThat(run.report().errors())
                .extracting(RecordError::line, RecordError::code)
                .containsExactly(bad.stream()
                        .map(line -> tuple(line, "missing_assistant_message"))
                        .toArray(org.assertj.core.groups.Tuple[]::new));
        assertThat(run.output().lines().count()).isEqualTo(10_000 - bad.size());
        // Lines 1234 and 4321 were dropped before it.
        assertThat(run.output().lines().skip(5000).findFirst().orElseThrow()).contains("question 5003 ");
    }

    @Example
    void rawMultiByteUtf8IsDecodedAndCountedAsTheTreePathCountsIt() throws IOException {
        List<ChatMessage> chat = List.of(ChatMessage.user("héllo 漢字 \uD83D\uDE00"), ChatMessage.assistant("ok 👍"));
        Run run = validate(canonical(chat).replace("\\ud83d\\ude00", "\uD83D\uDE00") + "\n");
        assertThat(run.output()).isEqualTo(treePathLine(chat)).contains("héllo 漢字 ");
        assertThat(run.report().totalChars()).isEqualTo(chat.get(0).content().length() + 5);
    }

    @Example
    void aLineLongerThanTheReadBufferIsJoinedAndValidated() throws IOException {
        String big = "y".repeat(200_000);
        Run run = validate("{\"prompt\":\"p\",\"completion\":\"c\"}\n"
                + canonical(List.of(ChatMessage.user(big), ChatMessage.assistant("ok"))) + "\n");
        assertThat(run.report().errors())
                .extracting(RecordError::line, RecordError::code)
                .containsExactly(tuple(2L, "format_mismatch"));
        Run alone = validate(canonical(List.of(ChatMessage.user(big), ChatMessage.assistant("ok"))));
        assertThat(alone.report().valid()).isEqualTo(1);
        assertThat(alone.output()).isEqualTo(treePathLine(List.of(ChatMessage.user(big), ChatMessage.assistant("ok"))));
    }
}
