package io.sage.studio.finetune.evaluation;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reference-based scores of one answer, computed here rather than by a Python library so that the service needs
 * nothing besides the serving layer: exact match after normalisation, token-F1 (SQuAD style: the overlap of the two
 * bags of words) and ROUGE-L (F-measure of the longest common subsequence of words). Normalisation: Unicode NFKC,
 * lower case, punctuation to spaces, whitespace collapsed; words are the whitespace-separated pieces of that.
 */
public final class TextMetrics {

    /** Longest answer (in words) whose LCS is computed; longer ones are cut (the LCS table is words × words). */
    static final int MAX_WORDS = 2000;

    private TextMetrics() {}

    /** The text as compared: NFKC, lower case, punctuation replaced by spaces, single spaces, trimmed. */
    public static String normalize(String text) {
        if (text == null) {
            return "";
        }
        String n = Normalizer.normalize(text, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
        return n.replaceAll("[\\p{P}\\p{S}]+", " ").replaceAll("\\s+", " ").strip();
    }

    /** The normalised words. */
    public static List<String> words(String text) {
        String n = normalize(text);
        if (n.isEmpty()) {
            return List.of();
        }
        String[] parts = n.split(" ");
        int count = Math.min(parts.length, MAX_WORDS);
        List<String> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(parts[i]);
        }
        return out;
    }

    /** 1 when both normalise to the same text, else 0. */
    public static double exactMatch(String answer, String reference) {
        return normalize(answer).equals(normalize(reference)) ? 1.0 : 0.0;
    }

    /** Harmonic mean of the word precision and recall of the answer against the reference (both empty: 1). */
    public static double tokenF1(String answer, String reference) {
        List<String> a = words(answer);
        List<String> r = words(reference);
        if (a.isEmpty() || r.isEmpty()) {
            return a.isEmpty() && r.isEmpty() ? 1.0 : 0.0;
        }
        Map<String, Integer> counts = new HashMap<>();
        for (String w : r) {
            counts.merge(w, 1, Integer::sum);
        }
        int common = 0;
        for (String w : a) {
            Integer left = counts.get(w);
            if (left != null && left > 0) {
                common++;
                counts.put(w, left - 1);
            }
        }
        return f1(common, a.size(), r.size());
    }

    /** ROUGE-L F1: the longest common word subsequence against both lengths (both empty: 1). */
    public static double rougeL(String answer, String reference) {
        List<String> a = words(answer);
        List<String> r = words(reference);
        if (a.isEmpty() || r.isEmpty()) {
            return a.isEmpty() && r.isEmpty() ? 1.0 : 0.0;
        }
        return f1(lcs(a, r), a.size(), r.size());
    }

    /** Length of the longest common subsequence (two rows of the table). */
    static int lcs(List<String> a, List<String> b) {
        int[] previous = new int[b.size() + 1];
        int[] current = new int[b.size() + 1];
        for (String x : a) {
            for (int j = 1; j <= b.size(); j++) {
                current[j] = x.equals(b.get(j - 1)) ? previous[j - 1] + 1 : Math.max(previous[j], current[j - 1]);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.size()];
    }

    private static double f1(int common, int answerLength, int referenceLength) {
        if (common == 0) {
            return 0.0;
        }
        double precision = (double) common / answerLength;
        double recall = (double) common / referenceLength;
        return 2 * precision * recall / (precision + recall);
    }
}
