package io.sage.studio.process;

/**
 * Who a child process is, in a form that survives a restart of its parent: the pid, the kernel's start time of that
 * pid and who started it. A pid alone is not an identity (pids are reused); pid plus start time is, on one machine
 * and within one boot; install id plus boot id say whether the pid is meaningful here at all (a handle copied in from
 * another studio or written before a reboot names some other process, or none).
 *
 * <p>Each user stores these four values in the file it already writes and reads them back (finetune's run handle
 * {@code pid}/{@code pid_start_ticks}/{@code instance_id}/{@code boot_id}, the launcher's pid file
 * {@code pid}/{@code start_time}/{@code boot_id}); this record knows no file format.
 *
 * @param pid        the process id ({@link #validPid}); with {@code setsid} also the id of its process group and session
 * @param startTicks field 22 of {@code /proc/<pid>/stat} (clock ticks after boot); {@code <= 0}: unknown (a record
 *                   written when it could not be read): then any live process with that pid is taken for it
 * @param installId  the id of the install that started it, or {@code null} where the user keeps none
 * @param bootId     {@code /proc/sys/kernel/random/boot_id} when it was started, or {@code null} (unknown)
 */
public record ProcessIdentity(long pid, long startTicks, String installId, String bootId) {

    public ProcessIdentity {
        if (!validPid(pid)) {
            throw new IllegalArgumentException("not the pid of a child process: " + pid);
        }
    }

    /**
     * Whether {@code pid} can name a child of the studio: above 1. Pid 1 is init, and its group "-1" would mean every
     * process to {@code kill(1)}; zero and negative numbers are groups or nothing. Check a pid read from a file with
     * this before making an identity of it.
     */
    public static boolean validPid(long pid) {
        return pid > 1;
    }

    /** Whether the start time was recorded. */
    public boolean startKnown() {
        return startTicks > 0;
    }
}
