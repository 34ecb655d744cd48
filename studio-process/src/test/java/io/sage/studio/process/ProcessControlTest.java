package io.sage.studio.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Process control on real processes ({@code sleep}, {@code sh}) of this machine. */
class ProcessControlTest {

    private static final Duration GRACE = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private final ProcessControl control = new ProcessControl("install-a");
    private final List<ProcessIdentity> started = new ArrayList<>();

    @AfterEach
    void killWhatIsLeft() {
        for (ProcessIdentity process : started) {
            control.stop(process, Duration.ZERO);
        }
    }

    @Test
    void aChildLeadsItsOwnProcessGroupAndStopsOnSigterm() throws IOException {
        ProcessControl.Started child = start("sleep", "60");
        ProcessIdentity id = child.identity();

        assertThat(id.pid()).isEqualTo(child.process().pid());
        assertThat(id.startTicks()).isPositive();
        assertThat(id.installId()).isEqualTo("install-a");
        assertThat(id.bootId()).isEqualTo(ProcessControl.currentBootId().orElseThrow());
        assertThat(ProcStat.read(id.pid()).orElseThrow().processGroup()).isEqualTo(id.pid());
        assertThat(control.alive(id)).isTrue();

        assertThat(control.stop(id, GRACE)).isEqualTo(ProcessControl.Stop.TERMINATED);
        assertThat(control.alive(id)).isFalse();
        assertThat(child.process().exitValue()).isEqualTo(128 + 15);
        assertThat(control.stop(id, GRACE)).isEqualTo(ProcessControl.Stop.NOT_RUNNING);
    }

    @Test
    void aPidWhoseStartTimeDiffersIsNotOursAndIsNeverSignalled() throws IOException {
        ProcessIdentity real = start("sleep", "60").identity();
        ProcessIdentity reused =
                new ProcessIdentity(real.pid(), real.startTicks() + 1, real.installId(), real.bootId());

        assertThat(control.alive(reused)).isFalse();
        assertThat(control.adopt(reused)).isEmpty();
        assertThat(control.stop(reused, GRACE)).isEqualTo(ProcessControl.Stop.NOT_RUNNING);
        assertThat(control.alive(real)).isTrue();
    }

    @Test
    void aHandleOfAnotherInstallOrBootIsNeverSignalled() throws IOException {
        ProcessIdentity id = start("sleep", "60").identity();

        assertThat(new ProcessControl("install-b").stop(id, GRACE)).isEqualTo(ProcessControl.Stop.NOT_OURS);
        assertThat(new ProcessControl("install-a", "another-boot").stop(id, GRACE))
                .isEqualTo(ProcessControl.Stop.NOT_OURS);
        assertThat(new ProcessControl(null, "another-boot").alive(id)).isFalse();
        // An install that records ids trusts no handle without a boot id; a user that records none (an older pid file)
        // does.
        ProcessIdentity withoutBoot = new ProcessIdentity(id.pid(), id.startTicks(), "install-a", null);
        assertThat(control.alive(withoutBoot)).isFalse();
        ProcessIdentity legacy = new ProcessIdentity(id.pid(), 0, null, null);
        assertThat(new ProcessControl(null).alive(legacy)).isTrue();
        assertThat(control.alive(id)).isTrue();
    }

    @Test
    void theGroupStopReachesGrandchildren() throws Exception {
        ProcessControl.Started child = start("sh", "-c", "sleep 60 & sleep 60 & echo started > ready; wait");
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(dir.resolve("ready")));
        List<ProcessHandle> grandchildren = child.process().descendants().toList();
        assertThat(grandchildren).hasSize(2);

        assertThat(control.stop(child.identity(), GRACE)).isEqualTo(ProcessControl.Stop.TERMINATED);
        assertThat(grandchildren).noneMatch(h -> running(h.pid()));
        assertThat(ProcessControl.groupAlive(child.identity().pid())).isFalse();
    }

    @Test
    void whatIgnoresSigtermIsKilledAfterTheGracePeriod() throws Exception {
        ProcessControl.Started child = start("sh", "-c", "trap '' TERM; sleep 60 & echo started > ready; wait");
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(dir.resolve("ready")));
        List<ProcessHandle> grandchildren = child.process().descendants().toList();

        long before = System.nanoTime();
        assertThat(control.stop(child.identity(), Duration.ofMillis(500))).isEqualTo(ProcessControl.Stop.KILLED);
        assertThat(Duration.ofNanos(System.nanoTime() - before)).isGreaterThanOrEqualTo(Duration.ofMillis(500));
        assertThat(grandchildren).noneMatch(h -> running(h.pid()));
        assertThat(child.process().waitFor(5, TimeUnit.SECONDS)).isTrue();
        assertThat(child.process().exitValue()).isEqualTo(128 + 9);
    }

    @Test
    void whatALeaderLeftBehindInItsGroupIsStoppedToo() throws Exception {
        ProcessControl.Started child = start("sh", "-c", "sleep 60 & echo $! > orphan; exit 0");
        assertThat(child.process().waitFor(10, TimeUnit.SECONDS)).isTrue();
        long orphan = Long.parseLong(Files.readString(dir.resolve("orphan")).strip());
        assertThat(running(orphan)).isTrue();
        assertThat(control.alive(child.identity())).isFalse();

        assertThat(control.stop(child.identity(), GRACE)).isEqualTo(ProcessControl.Stop.TERMINATED);
        assertThat(running(orphan)).isFalse();
    }

    @Test
    void aRestartedParentReadoptsItsChildFromTheSavedHandle() throws Exception {
        ProcessIdentity saved = start("sleep", "60").identity();
        ProcessIdentity read = new ProcessIdentity(saved.pid(), saved.startTicks(), saved.installId(), saved.bootId());

        ProcessControl restarted = new ProcessControl("install-a");
        Optional<ProcessHandle> adopted = restarted.adopt(read);
        assertThat(adopted).isPresent();
        assertThat(restarted.stop(read, GRACE)).isEqualTo(ProcessControl.Stop.TERMINATED);
        adopted.get().onExit().get(5, TimeUnit.SECONDS);
        assertThat(restarted.adopt(read)).isEmpty();
    }

    @Test
    void aRecordedStartInstantIdentifiesTheProcessWithinASecond() throws IOException {
        ProcessControl.Started child = start("sleep", "60");
        Instant startedAt = child.process().info().startInstant().orElseThrow();

        assertThat(control.identify(child.identity().pid(), startedAt)).contains(child.identity());
        assertThat(control.identify(child.identity().pid(), startedAt.minusSeconds(3600)))
                .isEmpty();
        assertThat(control.identify(child.identity().pid(), null)).contains(child.identity());
    }

    @Test
    void pidOneAndBelowAreNeverAProcessOfOurs() {
        assertThat(ProcessIdentity.validPid(1)).isFalse();
        assertThat(ProcessIdentity.validPid(0)).isFalse();
        assertThat(ProcessIdentity.validPid(-5)).isFalse();
        assertThatThrownBy(() -> new ProcessIdentity(1, 0, null, null)).isInstanceOf(IllegalArgumentException.class);
        assertThat(control.identify(1, null)).isEmpty();
    }

    @Test
    void aStopRightAfterTheStartReachesTheChild() throws IOException, InterruptedException {
        ProcessControl.Started child = start("sleep", "60");
        assertThat(control.stop(child.identity(), GRACE)).isIn(ProcessControl.Stop.TERMINATED);
        // stop() saw the process end (a zombie at most); Process.isAlive() waits for the JDK's reaper to notice.
        assertThat(child.process().waitFor(5, TimeUnit.SECONDS)).isTrue();
    }

    /** Alive and not a zombie (an orphan's reaper may never come in a container). */
    private static boolean running(long pid) {
        return ProcStat.read(pid).filter(ProcStat::alive).isPresent();
    }

    private ProcessControl.Started start(String... command) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        ProcessControl.Started child = control.start(builder);
        assertThat(builder.command()).containsExactly(command);
        started.add(child.identity());
        return child;
    }
}
