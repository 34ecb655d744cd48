package io.sage.studio.finetune.queue;

import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The order in which waiting tasks run: higher priority first, first come first served within a priority.
 * Only an index: the truth is each task's {@code finetune_meta.json} ({@code status: queued}, {@code priority},
 * {@code queue_seq}), so the queue is rebuilt from disk after a restart. Thread-safe.
 */
public final class TaskQueue {

    /** One waiting task. */
    public record Entry(String taskId, int priority, long seq) {}

    private static final Comparator<Entry> ORDER = Comparator.comparingInt(Entry::priority)
            .reversed()
            .thenComparingLong(Entry::seq)
            .thenComparing(Entry::taskId);

    private final TreeSet<Entry> entries = new TreeSet<>(ORDER);
    private final Map<String, Entry> byId = new HashMap<>();
    private long lastSeq;

    /** The sequence number for a newly queued task (larger than any seen). */
    public synchronized long nextSeq() {
        return ++lastSeq;
    }

    public synchronized void add(String taskId, int priority, long seq) {
        remove(taskId);
        Entry entry = new Entry(taskId, priority, seq);
        entries.add(entry);
        byId.put(taskId, entry);
        lastSeq = Math.max(lastSeq, seq);
    }

    /** Makes {@link #nextSeq()} stay above sequence numbers of tasks that are not queued any more. */
    public synchronized void observeSeq(long seq) {
        lastSeq = Math.max(lastSeq, seq);
    }

    public synchronized boolean remove(String taskId) {
        Entry entry = byId.remove(taskId);
        return entry != null && entries.remove(entry);
    }

    public synchronized Optional<String> head() {
        return entries.isEmpty()
                ? Optional.empty()
                : Optional.of(entries.first().taskId());
    }

    /** The queued task ids in the order they run. */
    public synchronized List<String> ids() {
        return entries.stream().map(Entry::taskId).toList();
    }

    public synchronized int size() {
        return entries.size();
    }

    /** 1-based position of every queued task (1 runs next). */
    public synchronized Map<String, Integer> positions() {
        Map<String, Integer> out = new HashMap<>();
        int position = 1;
        for (Entry entry : entries) {
            out.put(entry.taskId(), position++);
        }
        return out;
    }

    /** 1-based position of a task, or {@code null} when it is not queued. */
    public synchronized Integer position(String taskId) {
        Entry entry = byId.get(taskId);
        return entry == null ? null : entries.headSet(entry).size() + 1;
    }
}
