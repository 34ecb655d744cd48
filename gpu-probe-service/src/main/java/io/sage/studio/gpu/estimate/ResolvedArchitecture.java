package io.sage.studio.gpu.estimate;

/**
 * A model the estimator can size.
 *
 * @param source {@code catalog}, {@code config} or {@code request}
 * @param contextLength the longest sequence the model was trained for; {@code null} when unknown
 */
public record ResolvedArchitecture(
        String name, String source, ModelArchitecture architecture, long params, Integer contextLength) {}
