package io.sage.studio.finetune.task;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;

import io.sage.studio.finetune.domain.TrainingConfig;

/**
 * How often the trainer checkpoints ({@code save_steps}) and how many checkpoints it keeps ({@code save_total_limit}),
 * as written into {@code job.json}. A pause, a retry and an automatic resume continue from the latest checkpoint, so
 * the cadence bounds the work an interruption loses: by default about a tenth of the run, whatever its length (the
 * trainer's own default of every 500 steps would never checkpoint a short run and checkpoint a long one too rarely).
 *
 * @param saveSteps      every this many steps; {@code null}: about 10 % of the run's estimated steps, at least 1
 * @param saveTotalLimit checkpoints kept; older ones are removed by the trainer
 */
public record Checkpoints(Integer saveSteps, int saveTotalLimit) {

    /** The share of a run between two checkpoints when {@code save-steps} is not set. */
    static final double SHARE = 0.10;

    /** About 10 % of the run, three checkpoints kept (the defaults of {@code studio.finetune.save-*}). */
    public static Checkpoints defaults() {
        return new Checkpoints(null, 3);
    }

    public Checkpoints {
        if (saveSteps != null && saveSteps < 1) {
            throw new IllegalArgumentException("save-steps must be at least 1");
        }
        if (saveTotalLimit < 1) {
            throw new IllegalArgumentException("save-total-limit must be at least 1");
        }
    }

    /** Adds {@code save_steps} and {@code save_total_limit} for a run of {@code config} over {@code samples} samples. */
    Map<String, Object> addTo(Map<String, Object> hyperparameters, TrainingConfig config, long samples) {
        hyperparameters.put("save_steps", saveStepsFor(estimatedSteps(config, samples)));
        hyperparameters.put("save_total_limit", saveTotalLimit);
        return hyperparameters;
    }

    /** {@code save_steps} for a run of about {@code estimatedSteps} optimizer steps. */
    int saveStepsFor(long estimatedSteps) {
        if (saveSteps != null) {
            return saveSteps;
        }
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, Math.round(estimatedSteps * SHARE)));
    }

    /**
     * The trainer's step count as far as the studio can tell: epochs × ⌈samples ÷ (batch size × gradient accumulation)⌉
     * (the trainer may drop over-long samples or pack them, so it is an estimate).
     */
    static long estimatedSteps(TrainingConfig config, long samples) {
        long perStep = (long) config.batchSize() * config.gradientAccumulationSteps();
        long perEpoch = Math.max(1, (Math.max(0, samples) + perStep - 1) / perStep);
        return perEpoch * config.numEpochs();
    }

    /** The samples of a task's normalised dataset: its non-empty lines (streamed; a link is not followed: 0). */
    static long samples(Path dataFile) throws IOException {
        if (!Files.isRegularFile(dataFile, LinkOption.NOFOLLOW_LINKS)) {
            return 0;
        }
        long lines = 0;
        boolean content = false;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(dataFile, LinkOption.NOFOLLOW_LINKS))) {
            byte[] buffer = new byte[1 << 16];
            int n;
            while ((n = in.read(buffer)) > 0) {
                for (int i = 0; i < n; i++) {
                    byte b = buffer[i];
                    if (b == '\n') {
                        lines += content ? 1 : 0;
                        content = false;
                    } else if (b != ' ' && b != '\t' && b != '\r') {
                        content = true;
                    }
                }
            }
        }
        return lines + (content ? 1 : 0);
    }
}
