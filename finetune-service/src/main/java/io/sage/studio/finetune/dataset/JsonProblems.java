package io.sage.studio.finetune.dataset;

import java.util.Locale;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;

/**
 * A JSON syntax error told without any of the text it was found in. Jackson's own messages quote the offending
 * token ({@code Unrecognized token 'sk-…'}), which would put a file's content into an API answer or a task's
 * error; this names the column and the kind of problem only.
 */
final class JsonProblems {

    /** A problem found in a record: an error code of the documented list and a content-free sentence. */
    record Problem(String code, String message) {}

    private JsonProblems() {}

    /** The problem of {@code e}, prefixed with {@code context} (e.g. "line is not valid JSON"). */
    static Problem describe(JsonProcessingException e, String context) {
        String original = String.valueOf(e.getOriginalMessage()).toLowerCase(Locale.ROOT);
        JsonLocation at = e.getLocation();
        String where = at != null && at.getColumnNr() > 0 ? " (column " + at.getColumnNr() + ")" : "";
        String code = original.contains("utf-8") || original.contains("utf8") || original.contains("surrogate")
                ? "invalid_encoding"
                : "invalid_json";
        return new Problem(code, context + where + ": " + kind(e, original));
    }

    private static String kind(JsonProcessingException e, String original) {
        if (e instanceof StreamConstraintsException) {
            return original.contains("nesting") ? "nested too deeply" : "a value is longer than the record limit";
        }
        if (original.contains("utf-8") || original.contains("utf8") || original.contains("surrogate")) {
            return "bytes that are not valid UTF-8 text";
        }
        if (original.startsWith("unexpected end-of-input")) {
            return "the text ends inside an object, array or string";
        }
        if (original.startsWith("unrecognized token")) {
            return "an unquoted word that is not true, false or null";
        }
        if (original.startsWith("illegal unquoted character")) {
            return "a control character inside a string (escape it)";
        }
        if (original.startsWith("unrecognized character escape") || original.contains("escape sequence")) {
            return "an invalid backslash escape in a string";
        }
        if (original.startsWith("unexpected close marker")) {
            return "a closing bracket that does not match its opening one";
        }
        if (original.startsWith("trailing token")) {
            return "more than one JSON value";
        }
        if (original.startsWith("unexpected character")) {
            return "an unexpected character";
        }
        if (original.contains("numeric value") || original.contains("leading zero")) {
            return "a malformed number";
        }
        return "malformed JSON";
    }
}
