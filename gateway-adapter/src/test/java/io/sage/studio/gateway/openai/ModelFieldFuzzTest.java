package io.sage.studio.gateway.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

/**
 * Property-based fuzzing of the {@code /v1} model scan and rewrite ({@link ModelField}) against Jackson's own
 * parse of the same bytes: 10 000 generated bodies per run — objects with {@code model} anywhere (first, last,
 * twice, nested, as a value, behind escapes, with look-alike keys), odd whitespace, escaped and non-ASCII strings,
 * other values at the top, truncated and mutated documents, garbage bytes, other Unicode encodings, deep nesting.
 *
 * <p>For every body: no exception other than {@link ModelField.InvalidBody} escapes; a body the scan accepts is one
 * JSON object, the scan's {@code model} is Jackson's, and the rewrite yields the same object with only
 * {@code model} changed (every byte outside the model's value kept); a body it rejects is invalid for Jackson, or
 * an object the gateway refuses for a stated reason (model twice, model not a string, not UTF-8), and the message
 * is one of the scan's fixed messages, never a piece of the body. The {@code user} the same pass reports (the key of
 * a sticky traffic split) is Jackson's top-level {@code user} when that is a string, and {@code null} otherwise.
 */
class ModelFieldFuzzTest {

    private static final String SERVED = "qwen-ft/\u00e4\"\\1";
    /** Jackson with its defaults (the scan's factory has them too), one value and nothing after it. */
    private static final ObjectMapper JACKSON =
            new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private static final Set<String> MESSAGES = Set.of(
            "the request body must be a JSON object",
            "the request body is not a single JSON object",
            "the request body is not valid JSON",
            "the request body must be JSON in UTF-8",
            "'model' is given more than once",
            "'model' must be a string");
    private static final List<String> LOOK_ALIKES = List.of(
            "Model",
            "MODEL",
            "models",
            "mode",
            "model ",
            " model",
            "modell",
            "mod\u0435l",
            "model\u0000",
            "",
            "User",
            "users",
            "usr");
    private static final List<String> NAMES = List.of(
            "sage-chat",
            "qwen-0.5b-ft-a",
            "",
            " ",
            "\u00e4\u00f6\u00fc",
            "\ud83d\ude00",
            "a\"b",
            "back\\slash",
            "line\nbreak",
            "\u2028",
            "\ud800",
            "gpt-4o");

    @Property(tries = 10_000, edgeCases = EdgeCasesMode.NONE)
    void theScanAgreesWithJacksonAndRejectsEverythingElseCleanly(@ForAll("bodies") byte[] body) {
        JsonNode tree = jacksonTree(body);
        ModelField field;
        try {
            field = ModelField.locate(body);
        } catch (ModelField.InvalidBody rejected) {
            Statistics.label("outcome").collect("rejected: " + rejected.code());
            assertThat(MESSAGES).as("message of a rejection").contains(rejected.getMessage());
            if (tree != null && tree.isObject()) {
                assertThat(refusedObject(body, tree, rejected))
                        .as("a valid JSON object rejected with '%s'", rejected.getMessage())
                        .isTrue();
            }
            return;
        } catch (RuntimeException escaped) {
            fail("the scan threw " + escaped + " for " + Arrays.toString(body));
            return;
        }
        Statistics.label("outcome").collect(field.valueStart() >= 0 ? "accepted with model" : "accepted without model");
        assertThat(tree).as("Jackson's parse of an accepted body").isNotNull();
        assertThat(tree.isObject()).isTrue();
        JsonNode model = tree.get("model");
        if (model == null) {
            assertThat(field.valueStart()).isEqualTo(-1);
            assertThat(field.requested()).isNull();
        } else {
            assertThat(field.valueStart()).isGreaterThanOrEqualTo(0);
            assertThat(field.requested()).isEqualTo(model.isNull() ? null : model.textValue());
        }
        JsonNode user = tree.get("user");
        assertThat(field.user())
                .as("the user field")
                .isEqualTo(user != null && user.isTextual() ? user.textValue() : null);

        byte[] rewritten = field.withModel(body, SERVED).getBytes();
        ObjectNode expected = ((ObjectNode) tree).deepCopy();
        expected.put("model", SERVED);
        assertThat(jacksonTree(rewritten)).as("the rewritten body").isEqualTo(expected);
        if (field.valueStart() >= 0) {
            int tail = body.length - field.valueEnd();
            assertThat(Arrays.copyOfRange(rewritten, 0, field.valueStart()))
                    .isEqualTo(Arrays.copyOfRange(body, 0, field.valueStart()));
            assertThat(Arrays.copyOfRange(rewritten, rewritten.length - tail, rewritten.length))
                    .isEqualTo(Arrays.copyOfRange(body, field.valueEnd(), body.length));
        }
    }

    /** Whether the scan had its stated reason to refuse a body Jackson reads as one object. */
    private static boolean refusedObject(byte[] body, JsonNode tree, ModelField.InvalidBody rejected) {
        return switch (rejected.getMessage()) {
            case "'model' is given more than once" -> topLevelModels(body).size() > 1;
            case "'model' must be a string" ->
                topLevelModels(body).stream()
                        .anyMatch(token -> token != JsonToken.VALUE_STRING && token != JsonToken.VALUE_NULL);
            case "the request body must be JSON in UTF-8" -> !ModelField.utf8(body);
            default -> false;
        };
    }

    /** Jackson's tree of {@code body}, {@code null} when it is not exactly one JSON value. */
    private static JsonNode jacksonTree(byte[] body) {
        try {
            JsonNode tree = JACKSON.readTree(body);
            return tree == null || tree.isMissingNode() ? null : tree;
        } catch (IOException e) {
            return null;
        }
    }

    /** The kinds of value of every top-level field named {@code model} (after Jackson decoded the names). */
    private static List<JsonToken> topLevelModels(byte[] body) {
        try (JsonParser parser = JACKSON.getFactory().createParser(body)) {
            List<JsonToken> models = new ArrayList<>();
            parser.nextToken();
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                boolean model = "model".equals(parser.currentName());
                JsonToken value = parser.nextToken();
                if (model) {
                    models.add(value);
                }
                parser.skipChildren();
            }
            return models;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Provide
    Arbitrary<byte[]> bodies() {
        Arbitrary<String> objects = objects(3);
        return Arbitraries.frequencyOf(
                Tuple.of(40, objects.map(ModelFieldFuzzTest::utf8Bytes)),
                Tuple.of(5, value(2).map(ModelFieldFuzzTest::utf8Bytes)),
                Tuple.of(
                        15,
                        Combinators.combine(objects, Arbitraries.doubles().between(0, 1))
                                .as((json, cut) -> Arrays.copyOf(utf8Bytes(json), (int) (json.length() * cut)))),
                Tuple.of(15, Combinators.combine(objects, mutations()).as(ModelFieldFuzzTest::mutate)),
                Tuple.of(10, Arbitraries.bytes().array(byte[].class).ofMaxSize(48)),
                Tuple.of(
                        5,
                        Combinators.combine(
                                        objects,
                                        Arbitraries.of(
                                                "UTF-16BE", "UTF-16LE", "UTF-32BE", "UTF-32LE", "UTF-8-BOM", "UTF-16"))
                                .as(ModelFieldFuzzTest::encode)),
                Tuple.of(
                        5,
                        Combinators.combine(
                                        Arbitraries.integers().between(1, 1_500),
                                        Arbitraries.of("[", "{\"a\":"),
                                        Arbitraries.of(true, false))
                                .as(ModelFieldFuzzTest::deep)),
                Tuple.of(
                        5,
                        Arbitraries.of(
                                        "",
                                        " ",
                                        "{",
                                        "}",
                                        "{}",
                                        "null",
                                        "\"model\"",
                                        "{\"model\"}",
                                        "{\"model\":}",
                                        "{\"model\":\"a\",}",
                                        "{,}",
                                        "{\"model\":\"a\"}}",
                                        "{\"model\":\"a\"} x",
                                        "{\"model\":NaN}",
                                        "{\"model\":'a'}",
                                        "{model:\"a\"}",
                                        "{\"model\":\"a\"\u0000}",
                                        "{\"a\":1}\n\n",
                                        "\ufeff{}",
                                        "{\"model\":\"\\ud83d\"}",
                                        "{\"model\":\"\\x41\"}")
                                .map(ModelFieldFuzzTest::utf8Bytes)));
    }

    /** A top-level object: fields in any order, some named {@code model} (escaped or not) or like it. */
    private Arbitrary<String> objects(int depth) {
        Arbitrary<String> modelKey = Arbitraries.integers().map(seed -> quote("model", seed));
        Arbitrary<String> otherKey = Arbitraries.oneOf(
                jsonString(),
                Combinators.combine(Arbitraries.of(LOOK_ALIKES), Arbitraries.integers())
                        .as(ModelFieldFuzzTest::quote));
        Arbitrary<String> modelValue = Arbitraries.frequencyOf(
                Tuple.of(
                        6,
                        Combinators.combine(Arbitraries.of(NAMES), Arbitraries.integers())
                                .as(ModelFieldFuzzTest::quote)),
                Tuple.of(2, jsonString()),
                Tuple.of(2, Arbitraries.just("null")),
                Tuple.of(1, value(1)));
        Arbitrary<String> modelField = Combinators.combine(modelKey, modelValue, ws(), ws())
                .as((key, value, before, after) -> key + before + ":" + after + value);
        Arbitrary<String> otherField = Combinators.combine(otherKey, value(depth - 1), ws(), ws())
                .as((key, value, before, after) -> key + before + ":" + after + value);
        Arbitrary<List<String>> models = Arbitraries.frequencyOf(
                        Tuple.of(3, Arbitraries.just(0)),
                        Tuple.of(6, Arbitraries.just(1)),
                        Tuple.of(1, Arbitraries.just(2)))
                .flatMap(count -> modelField.list().ofSize(count));
        Arbitrary<String> userField = Combinators.combine(
                        Arbitraries.integers().map(seed -> quote("user", seed)), modelValue, ws(), ws())
                .as((key, value, before, after) -> key + before + ":" + after + value);
        Arbitrary<List<String>> users = Arbitraries.frequencyOf(
                        Tuple.of(5, Arbitraries.just(0)),
                        Tuple.of(4, Arbitraries.just(1)),
                        Tuple.of(1, Arbitraries.just(2)))
                .flatMap(count -> userField.list().ofSize(count));
        Arbitrary<List<String>> fields = Combinators.combine(
                        otherField.list().ofMaxSize(5), models, users, Arbitraries.integers())
                .as((others, placedModels, placedUsers, seed) -> {
                    List<String> all = new ArrayList<>(others);
                    List<String> placed = new ArrayList<>(placedModels);
                    placed.addAll(placedUsers);
                    Random random = new Random(seed);
                    for (String model : placed) {
                        all.add(random.nextInt(all.size() + 1), model);
                    }
                    return all;
                });
        return Combinators.combine(fields, ws(), ws(), ws())
                .as((list, outer, inner, separator) ->
                        outer + "{" + inner + String.join(separator + "," + inner, list) + separator + "}" + outer);
    }

    /** Any JSON value, nesting at most {@code depth} deep. */
    private Arbitrary<String> value(int depth) {
        Arbitrary<String> leaf = Arbitraries.oneOf(jsonString(), numbers(), Arbitraries.of("true", "false", "null"));
        if (depth <= 0) {
            return leaf;
        }
        Arbitrary<String> array = Combinators.combine(
                        Arbitraries.lazy(() -> value(depth - 1)).list().ofMaxSize(4), ws())
                .as((items, space) -> "[" + space + String.join("," + space, items) + space + "]");
        Arbitrary<String> object = Arbitraries.lazy(() -> objects(depth - 1)).map(String::strip);
        return Arbitraries.frequencyOf(Tuple.of(6, leaf), Tuple.of(2, array), Tuple.of(2, object));
    }

    private static Arbitrary<String> numbers() {
        return Arbitraries.oneOf(
                Arbitraries.longs().map(String::valueOf),
                Arbitraries.doubles()
                        .map(d -> String.format(Locale.ROOT, "%s", d))
                        .filter(s -> !s.contains("N") && !s.contains("I")),
                Arbitraries.of("0", "-0", "1e10", "-1.5E-3", "2E+5", "123456789012345678901234567890", "0.0000001"));
    }

    /** A JSON string with any characters, each written plainly or escaped at random. */
    private static Arbitrary<String> jsonString() {
        Arbitrary<String> text = Arbitraries.oneOf(
                Arbitraries.strings().all().ofMaxLength(12),
                Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(12),
                Arbitraries.of(NAMES));
        return Combinators.combine(text, Arbitraries.integers()).as(ModelFieldFuzzTest::quote);
    }

    private static Arbitrary<String> ws() {
        return Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.just("")), Tuple.of(4, Arbitraries.of(" ", "\n", "\t", "\r\n", "  \t ")));
    }

    /** A quoted JSON string of {@code text}; {@code seed} picks, per character, plain or which escape. */
    static String quote(String text, int seed) {
        Random random = new Random(seed);
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            boolean mustEscape = c == '"' || c == '\\' || c < 0x20;
            int choice = random.nextInt(mustEscape ? 2 : 4);
            if (choice == 0) {
                out.append(String.format(Locale.ROOT, random.nextBoolean() ? "\\u%04x" : "\\u%04X", (int) c));
            } else if (mustEscape || choice == 1) {
                out.append(shortEscape(c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    private static String shortEscape(char c) {
        return switch (c) {
            case '"' -> "\\\"";
            case '\\' -> "\\\\";
            case '/' -> "\\/";
            case '\b' -> "\\b";
            case '\f' -> "\\f";
            case '\n' -> "\\n";
            case '\r' -> "\\r";
            case '\t' -> "\\t";
            default -> c < 0x20 ? String.format(Locale.ROOT, "\\u%04x", (int) c) : String.valueOf(c);
        };
    }

    /** Up to four edits: (position fraction, byte, kind: flip, insert, delete). */
    private static Arbitrary<List<Tuple.Tuple3<Double, Byte, Integer>>> mutations() {
        return Combinators.combine(
                        Arbitraries.doubles().between(0, 1),
                        Arbitraries.bytes(),
                        Arbitraries.integers().between(0, 2))
                .as(Tuple::of)
                .list()
                .ofMinSize(1)
                .ofMaxSize(4);
    }

    private static byte[] mutate(String json, List<Tuple.Tuple3<Double, Byte, Integer>> edits) {
        List<Byte> bytes = new ArrayList<>();
        for (byte b : utf8Bytes(json)) {
            bytes.add(b);
        }
        for (Tuple.Tuple3<Double, Byte, Integer> edit : edits) {
            int at = (int) (edit.get1() * bytes.size());
            switch (edit.get3()) {
                case 0 -> {
                    if (at < bytes.size()) {
                        bytes.set(at, edit.get2());
                    }
                }
                case 1 -> bytes.add(at, edit.get2());
                default -> {
                    if (at < bytes.size()) {
                        bytes.remove(at);
                    }
                }
            }
        }
        byte[] out = new byte[bytes.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = bytes.get(i);
        }
        return out;
    }

    private static byte[] encode(String json, String encoding) {
        if (encoding.equals("UTF-8-BOM")) {
            byte[] utf8 = utf8Bytes(json);
            byte[] out = new byte[utf8.length + 3];
            out[0] = (byte) 0xEF;
            out[1] = (byte) 0xBB;
            out[2] = (byte) 0xBF;
            System.arraycopy(utf8, 0, out, 3, utf8.length);
            return out;
        }
        return json.getBytes(Charset.forName(encoding));
    }

    /** {@code depth} levels of arrays or objects, with a model before them or inside the innermost one. */
    private static byte[] deep(int depth, String opener, boolean modelInside) {
        String closer = opener.equals("[") ? "]" : "}";
        String nested = opener.repeat(depth) + (modelInside ? "{\"model\":\"x\"}" : "1") + closer.repeat(depth);
        return utf8Bytes("{\"model\":\"sage-chat\",\"deep\":" + nested + "}");
    }

    private static byte[] utf8Bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
