package io.sage.studio.cli.commands;

import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Prints the last lines of log files and, with follow, what is appended to them (like {@code tail -F}). */
final class FileTailer {

    private final List<Path> files;
    private final boolean prefix;
    private final PrintStream out;

    FileTailer(List<Path> files, boolean prefix, PrintStream out) {
        this.files = files;
        this.prefix = prefix;
        this.out = out;
    }

    void run(int lines, boolean follow) throws IOException {
        Map<Path, Long> offsets = new HashMap<>();
        for (Path file : files) {
            if (!Files.exists(file)) {
                offsets.put(file, 0L);
                continue;
            }
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (String line : all.subList(Math.max(0, all.size() - lines), all.size())) {
                print(file, line);
            }
            offsets.put(file, Files.size(file));
        }
        while (follow) {
            boolean any = false;
            for (Path file : files) {
                if (!Files.exists(file)) {
                    continue;
                }
                long size = Files.size(file);
                long offset = offsets.get(file);
                if (size < offset) {
                    offset = 0; // truncated or replaced
                }
                if (size > offset) {
                    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
                        raf.seek(offset);
                        byte[] chunk = new byte[(int) Math.min(size - offset, 1 << 20)];
                        raf.readFully(chunk);
                        String text = new String(chunk, StandardCharsets.UTF_8);
                        int end = text.lastIndexOf('\n');
                        if (end >= 0) {
                            for (String line : text.substring(0, end).split("\n", -1)) {
                                print(file, line);
                            }
                            offsets.put(
                                    file, offset + text.substring(0, end + 1).getBytes(StandardCharsets.UTF_8).length);
                            any = true;
                        }
                    }
                }
            }
            out.flush();
            if (!any) {
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private void print(Path file, String line) {
        if (prefix) {
            String name = file.getFileName().toString().replace(".log", "");
            out.println(String.format("%-20s | %s", name, line));
        } else {
            out.println(line);
        }
    }
}
