package io.sage.studio.chat.runtime.local;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An engine command line such as {@code vllm serve {model} --port {port} --served-model-name {name}}: split into
 * arguments once, like a POSIX shell would split words (quotes and backslashes, nothing else), and then filled in
 * argument by argument, so a model path with spaces or shell characters stays one argument and never reaches a shell.
 */
final class CommandTemplate {

    private final List<String> words;

    private CommandTemplate(List<String> words) {
        this.words = words;
    }

    static CommandTemplate parse(String template) {
        List<String> words = split(template);
        if (words.isEmpty()) {
            throw new IllegalArgumentException("the engine command template is empty");
        }
        String joined = String.join(" ", words);
        for (String required : List.of("{model}", "{port}")) {
            if (!joined.contains(required)) {
                throw new IllegalArgumentException(
                        "the engine command template must contain " + required + ": " + template);
            }
        }
        return new CommandTemplate(words);
    }

    /** The arguments with every {@code {placeholder}} replaced. */
    List<String> render(Map<String, String> values) {
        List<String> args = new ArrayList<>(words.size());
        for (String word : words) {
            String arg = word;
            for (Map.Entry<String, String> value : values.entrySet()) {
                arg = arg.replace("{" + value.getKey() + "}", value.getValue());
            }
            args.add(arg);
        }
        return args;
    }

    static List<String> split(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else if (c == '\\' && quote == '"' && i + 1 < text.length()) {
                    word.append(text.charAt(++i));
                } else {
                    word.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                inWord = true;
            } else if (c == '\\' && i + 1 < text.length()) {
                word.append(text.charAt(++i));
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (quote != 0) {
            throw new IllegalArgumentException("unbalanced quote in the engine command template: " + text);
        }
        if (inWord) {
            words.add(word.toString());
        }
        return words;
    }
}
