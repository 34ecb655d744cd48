package io.sage.studio.cli.launcher;

/** A launcher failure with a message meant for the user as is. */
public class LauncherException extends RuntimeException {

    public LauncherException(String message) {
        super(message);
    }
}
