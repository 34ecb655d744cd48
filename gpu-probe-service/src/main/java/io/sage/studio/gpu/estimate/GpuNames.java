package io.sage.studio.gpu.estimate;

import java.util.Locale;
import java.util.regex.Pattern;

/** What a GPU's marketing name tells about it. */
final class GpuNames {

    /** Pre-Ampere GPUs: no bf16, so {@code auto} precision means fp16 there. */
    private static final Pattern WITHOUT_BF16 =
            Pattern.compile("\\b(t4|v100|p100|p40|p4|k80|m60|titan v|titan rtx|quadro rtx|gtx)\\b|\\brtx 20\\d\\d");

    private GpuNames() {}

    static boolean hasBf16(String name) {
        return name == null
                || !WITHOUT_BF16.matcher(name.toLowerCase(Locale.ROOT)).find();
    }
}
