package io.sage.studio.finetune.progress;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Opens the files a trainer writes into its task folder ({@code logs.txt}, {@code progress.jsonl}) for reading
 * without following a symbolic link: a trainer (or a folder copied in) could otherwise make {@code logs.txt} a
 * link to a secret of the studio home and have the service show it as the task's log.
 */
final class TaskFiles {

    private TaskFiles() {}

    /** Opens {@code file} for reading; fails (ELOOP) when it is a symbolic link. */
    static SeekableByteChannel open(Path file) throws IOException {
        return Files.newByteChannel(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
    }
}
