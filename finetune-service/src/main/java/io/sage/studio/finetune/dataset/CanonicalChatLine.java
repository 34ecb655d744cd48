package io.sage.studio.finetune.dataset;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

/**
 * The fast path of the JSONL validator for the common record, a canonical chat line
 * {@code {"messages":[{"role":…,"content":…},…]}} with no other key: read token by token and written straight back as
 * the normalised line, without a tree, a {@code String} per content or a databind serialiser (the tree path spent most
 * of an upload's CPU there).
 *
 * <p>It accepts only what it is sure of: a valid record whose normalised bytes are exactly what the tree path writes
 * (the same generator escapes the same characters). Anything else (another key, another order, a duplicate key, a bad
 * role, a syntax error, no assistant answer) is answered {@code false} and the line goes through the tree path, which
 * alone words the errors, so a rejected line is reported exactly as before. Every token of an accepted line is
 * decoded, so no bad byte or malformed value can hide in a skipped part of it.
 */
final class CanonicalChatLine {

    private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);

    private final JsonFactory factory;
    /** The normalised line being built; written out only once the whole record proved valid. */
    private final Buffer record = new Buffer();

    private long chars;
    private long tokens;

    CanonicalChatLine(JsonFactory factory) {
        this.factory = factory;
    }

    /** Characters of content in the last accepted line. */
    long chars() {
        return chars;
    }

    /** {@link DatasetValidator#estimateTokens} of the last accepted line, 4 per message included. */
    long tokens() {
        return tokens;
    }

    /**
     * Writes the normalised form of {@code line[begin, end)} (without its line break) to {@code out} when it is a
     * valid canonical chat record; {@code false}, with nothing written, when the tree path has to decide.
     */
    boolean write(byte[] line, int begin, int end, OutputStream out) throws IOException {
        chars = 0;
        tokens = 0;
        boolean ok;
        if (compact(line, begin, end)) {
            // The bytes the generator would write are in the buffer already: the parse only checks the record.
            try (JsonParser parser = factory.createParser(line, begin, end - begin)) {
                ok = convert(parser, null) && parser.nextToken() == null;
            } catch (IOException | RuntimeException e) {
                return false;
            }
        } else {
            record.reset();
            try (JsonParser parser = factory.createParser(line, begin, end - begin);
                    JsonGenerator generator = factory.createGenerator(record)) {
                ok = convert(parser, generator) && parser.nextToken() == null;
            } catch (IOException | RuntimeException e) {
                // Malformed, or something the generator refuses: the tree path says what it is.
                return false;
            }
        }
        if (ok) {
            record.writeTo(out);
        }
        return ok;
    }

    /**
     * Writes to the record buffer, byte by byte, what the generator writes for the line's tokens, should the parse
     * prove them a canonical record: white space between tokens dropped, the generator's own escapes kept, an escaped
     * solidus and every Unicode escape (backslash, {@code u}, four hex digits) written as the generator writes that
     * character (UTF-8; its own escape below U+0020 and for each surrogate), a character outside the BMP as its two
     * escaped surrogates, other well-formed UTF-8 copied as it is. Most lines (Jackson, {@code JSON.stringify},
     * Python's {@code json.dumps}, the studio's own exports) are re-encoded so, without a generator. {@code false} for
     * malformed UTF-8 (which Jackson's parser partly accepts, and which must never be copied into the stored file), a
     * non-ASCII byte between tokens (a line's own byte order mark, which the parser skips), a raw control character
     * or an unclosed string: the generator path then decides. It does not check the JSON: the
     * parse does.
     */
    private boolean compact(byte[] line, int begin, int end) {
        record.reset();
        boolean inString = false;
        int copied = begin;
        for (int i = begin; i < end; i++) {
            byte b = line[i];
            if (!inString) {
                if (b == '"') {
                    inString = true;
                } else if (b < 0) {
                    // Non-ASCII between tokens: a byte order mark opening the line (the parser skips it, so it would
                    // be copied into the stored file) or bytes the parse rejects; the generator path decides.
                    return false;
                } else if (b == ' ' || b == '\t' || b == '\r' || b == '\n') {
                    record.write(line, copied, i - copied);
                    copied = i + 1;
                }
                continue;
            }
            if (b < 0) {
                int length = utf8Length(line, i, end);
                if (length == 0) {
                    return false;
                }
                if (length == 4) {
                    // Outside the BMP: the generator writes the two UTF-16 surrogates as escapes.
                    int c = (b & 0x07) << 18
                            | (line[i + 1] & 0x3F) << 12
                            | (line[i + 2] & 0x3F) << 6
                            | line[i + 3] & 0x3F;
                    record.write(line, copied, i - copied);
                    unicodeEscape(Character.highSurrogate(c));
                    unicodeEscape(Character.lowSurrogate(c));
                    copied = i + 4;
                }
                i += length - 1;
            } else if (b == '"') {
                inString = false;
            } else if (b < 0x20 || (b == '\\' && i + 1 == end)) {
                return false;
            } else if (b == '\\') {
                byte escaped = line[i + 1];
                if (escaped == '"'
                        || escaped == '\\'
                        || escaped == 'n'
                        || escaped == 'r'
                        || escaped == 't'
                        || escaped == 'b'
                        || escaped == 'f') {
                    i++;
                    continue;
                }
                int c;
                int next;
                if (escaped == '/') {
                    c = '/';
                    next = i + 2;
                } else if (escaped == 'u') {
                    c = hex4(line, i + 2, end);
                    next = i + 6;
                    if (c < 0) {
                        return false;
                    }
                } else {
                    return false;
                }
                record.write(line, copied, i - copied);
                writeAsGenerator(c);
                i = next - 1;
                copied = next;
            }
        }
        if (inString) {
            return false;
        }
        record.write(line, copied, end - copied);
        return true;
    }

    /** One UTF-16 character of a string as Jackson's generator writes it (its escapes, else UTF-8). */
    private void writeAsGenerator(int c) {
        switch (c) {
            case '"' -> escape('"');
            case '\\' -> escape('\\');
            case '\b' -> escape('b');
            case '\t' -> escape('t');
            case '\n' -> escape('n');
            case '\f' -> escape('f');
            case '\r' -> escape('r');
            default -> {
                if (c < 0x20 || Character.isSurrogate((char) c)) {
                    // Each surrogate on its own, paired or not, as the generator writes them.
                    unicodeEscape((char) c);
                } else if (c < 0x80) {
                    record.write(c);
                } else if (c < 0x800) {
                    record.write(0xC0 | (c >> 6));
                    record.write(0x80 | (c & 0x3F));
                } else {
                    record.write(0xE0 | (c >> 12));
                    record.write(0x80 | ((c >> 6) & 0x3F));
                    record.write(0x80 | (c & 0x3F));
                }
            }
        }
    }

    /** A Unicode escape as the generator writes it: backslash, {@code u}, four upper-case hex digits. */
    private void unicodeEscape(char c) {
        escape('u');
        record.write(HEX[c >> 12]);
        record.write(HEX[(c >> 8) & 0xF]);
        record.write(HEX[(c >> 4) & 0xF]);
        record.write(HEX[c & 0xF]);
    }

    private void escape(char c) {
        record.write('\\');
        record.write(c);
    }

    /** The four hex digits at {@code at} as a number; -1 when they are not four hex digits. */
    private static int hex4(byte[] line, int at, int end) {
        if (at + 4 > end) {
            return -1;
        }
        int value = 0;
        for (int i = at; i < at + 4; i++) {
            int digit = Character.digit(line[i], 16);
            if (digit < 0) {
                return -1;
            }
            value = value << 4 | digit;
        }
        return value;
    }

    /**
     * The length of the well-formed UTF-8 sequence (RFC 3629: no overlong form, no surrogate, nothing past U+10FFFF)
     * that starts with the non-ASCII byte at {@code i}; 0 when there is none. The parser decodes more leniently, and
     * the generator would re-encode such bytes, so they must not be copied as they are.
     */
    private static int utf8Length(byte[] line, int i, int end) {
        int b = line[i] & 0xFF;
        int length;
        int low = 0x80;
        int high = 0xBF;
        if (b >= 0xC2 && b <= 0xDF) {
            length = 2;
        } else if (b >= 0xE0 && b <= 0xEF) {
            length = 3;
            low = b == 0xE0 ? 0xA0 : 0x80;
            high = b == 0xED ? 0x9F : 0xBF;
        } else if (b >= 0xF0 && b <= 0xF4) {
            length = 4;
            low = b == 0xF0 ? 0x90 : 0x80;
            high = b == 0xF4 ? 0x8F : 0xBF;
        } else {
            return 0;
        }
        if (i + length > end) {
            return 0;
        }
        int second = line[i + 1] & 0xFF;
        if (second < low || second > high) {
            return 0;
        }
        for (int k = 2; k < length; k++) {
            int next = line[i + k] & 0xFF;
            if (next < 0x80 || next > 0xBF) {
                return 0;
            }
        }
        return length;
    }

    /** Checks the record token by token; writes its normalised form to {@code out} unless that is {@code null}. */
    private boolean convert(JsonParser parser, JsonGenerator out) throws IOException {
        if (parser.nextToken() != JsonToken.START_OBJECT
                || !"messages".equals(parser.nextFieldName())
                || parser.nextToken() != JsonToken.START_ARRAY) {
            return false;
        }
        if (out != null) {
            out.writeStartObject();
            out.writeFieldName("messages");
            out.writeStartArray();
        }
        boolean answered = false;
        int messages = 0;
        JsonToken token;
        while ((token = parser.nextToken()) != JsonToken.END_ARRAY) {
            if (token != JsonToken.START_OBJECT || !"role".equals(parser.nextFieldName())) {
                return false;
            }
            String role = parser.nextToken() == JsonToken.VALUE_STRING ? role(parser.getText()) : null;
            if (role == null
                    || !"content".equals(parser.nextFieldName())
                    || parser.nextToken() != JsonToken.VALUE_STRING) {
                return false;
            }
            char[] text = parser.getTextCharacters();
            int offset = parser.getTextOffset();
            int length = parser.getTextLength();
            if (out != null) {
                out.writeStartObject();
                out.writeStringField("role", role);
                out.writeFieldName("content");
                out.writeString(text, offset, length);
                out.writeEndObject();
            }
            long ascii = 0;
            for (int i = offset; i < offset + length; i++) {
                ascii += text[i] < 128 ? 1 : 0;
            }
            chars += length;
            // DatasetValidator.estimateTokens: ~4 ASCII characters per token, 1 per other character; 4 per message.
            tokens += (ascii + 3) / 4 + (length - ascii) + 4;
            answered |= role.equals("assistant") && !blank(text, offset, length);
            messages++;
            if (parser.nextToken() != JsonToken.END_OBJECT) {
                return false;
            }
        }
        if (messages == 0 || !answered || parser.nextToken() != JsonToken.END_OBJECT) {
            return false;
        }
        if (out != null) {
            out.writeEndArray();
            out.writeEndObject();
        }
        return true;
    }

    private static String role(String role) {
        return switch (role) {
            case "system" -> "system";
            case "user" -> "user";
            case "assistant" -> "assistant";
            default -> null;
        };
    }

    /** {@link String#isBlank()} of the characters (a surrogate is never white space there either). */
    private static boolean blank(char[] text, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            if (!Character.isWhitespace(text[i])) {
                return false;
            }
        }
        return true;
    }

    /** A reusable byte buffer without {@code ByteArrayOutputStream}'s locking. */
    static final class Buffer extends OutputStream {
        private byte[] bytes;
        private int size;

        Buffer() {
            this(8192);
        }

        Buffer(int capacity) {
            bytes = new byte[capacity];
        }

        void reset() {
            size = 0;
        }

        @Override
        public void write(int b) {
            grow(1);
            bytes[size++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            grow(len);
            System.arraycopy(b, off, bytes, size, len);
            size += len;
        }

        void writeTo(OutputStream out) throws IOException {
            out.write(bytes, 0, size);
        }

        private void grow(int more) {
            if (size + more > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(size + more, bytes.length * 2));
            }
        }
    }
}
