package io.sage.studio.finetune.executor.local;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a configured command into arguments the way a POSIX shell would split words — single quotes keep
 * everything literal, double quotes keep spaces and honour {@code \"} and {@code \\}, a backslash escapes the
 * next character — but nothing else: no variables, globs, substitutions or operators. The result is executed
 * directly, never by a shell.
 */
final class CommandLine {

    private CommandLine() {}

    static List<String> split(String command) {
        List<String> args = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        int i = 0;
        while (i < command.length()) {
            char c = command.charAt(i);
            if (c == '\'') {
                int end = command.indexOf('\'', i + 1);
                if (end < 0) {
                    throw new IllegalArgumentException("unterminated single quote in: " + command);
                }
                word.append(command, i + 1, end);
                inWord = true;
                i = end + 1;
            } else if (c == '"') {
                i++;
                while (true) {
                    if (i >= command.length()) {
                        throw new IllegalArgumentException("unterminated double quote in: " + command);
                    }
                    char d = command.charAt(i);
                    if (d == '"') {
                        break;
                    }
                    if (d == '\\'
                            && i + 1 < command.length()
                            && (command.charAt(i + 1) == '"' || command.charAt(i + 1) == '\\')) {
                        d = command.charAt(++i);
                    }
                    word.append(d);
                    i++;
                }
                inWord = true;
                i++;
            } else if (c == '\\') {
                if (i + 1 >= command.length()) {
                    throw new IllegalArgumentException("trailing backslash in: " + command);
                }
                word.append(command.charAt(i + 1));
                inWord = true;
                i += 2;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    args.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
                i++;
            } else {
                word.append(c);
                inWord = true;
                i++;
            }
        }
        if (inWord) {
            args.add(word.toString());
        }
        if (args.isEmpty()) {
            throw new IllegalArgumentException("the trainer command is empty");
        }
        return args;
    }
}
