package io.sage.studio.cli.client;

import java.util.List;

/** A failed call to the studio, with the server's message and details (e.g. dataset line errors). */
public class StudioClientException extends RuntimeException {

    private final int status;
    private final String code;
    private final List<String> details;
    private final boolean unreachable;

    public StudioClientException(int status, String code, String message, List<String> details, boolean unreachable) {
        super(message);
        this.status = status;
        this.code = code;
        this.details = List.copyOf(details);
        this.unreachable = unreachable;
    }

    public static StudioClientException unreachable(String url, String reason) {
        return new StudioClientException(
                0,
                "unreachable",
                "cannot reach the studio at " + url + " (" + reason
                        + "); is it running? Start it with ./sage studio start, or point --url / SAGE_STUDIO_URL at it",
                List.of(),
                true);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public List<String> details() {
        return details;
    }

    public boolean unreachable() {
        return unreachable;
    }
}
