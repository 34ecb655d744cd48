package io.sage.studio.gpu.nvml;

/** An NVML call that did not return {@code NVML_SUCCESS}: the function, its code and a readable message. */
public final class NvmlException extends Exception {

    private final String function;
    private final int code;

    public NvmlException(String function, int code, String message) {
        super(function + " failed: " + message);
        this.function = function;
        this.code = code;
    }

    public String function() {
        return function;
    }

    public int code() {
        return code;
    }

    public boolean is(NvmlReturn expected) {
        return code == expected.code();
    }
}
