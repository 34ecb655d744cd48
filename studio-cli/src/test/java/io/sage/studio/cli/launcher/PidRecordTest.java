package io.sage.studio.cli.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sage.studio.process.ProcessControl;

/** Pid files of this and of older launchers, read back as the process they name. */
class PidRecordTest {

    private static final long SELF = ProcessHandle.current().pid();

    @TempDir
    Path dir;

    private final ProcessControl processes = new ProcessControl(null);

    @Test
    void aPidFileOfAnOlderLauncherWithoutABootIdIsStillRecognised() throws Exception {
        Path file = dir.resolve("gateway-adapter.pid");
        Files.writeString(
                file,
                "#written by ./sage studio start\npid=" + SELF + "\nstart_time="
                        + ProcessControl.startTicks(SELF).orElseThrow() + "\ncommand=java -jar quarkus-run.jar\n");

        PidRecord record = PidRecord.read(file).orElseThrow();
        assertThat(record.bootId()).isNull();
        assertThat(record.command()).isEqualTo("java -jar quarkus-run.jar");
        assertThat(processes.alive(record.identity())).isTrue();
    }

    @Test
    void aRecordKeepsItsBootIdAndOneOfAnotherBootNamesNothing() {
        long ticks = ProcessControl.startTicks(SELF).orElseThrow();
        PidRecord current =
                new PidRecord(SELF, ticks, ProcessControl.currentBootId().orElseThrow(), "this test");
        current.write(dir.resolve("a.pid"));
        assertThat(PidRecord.read(dir.resolve("a.pid"))).contains(current);
        assertThat(processes.alive(current.identity())).isTrue();

        PidRecord stale = new PidRecord(SELF, ticks, "another-boot", "this test");
        stale.write(dir.resolve("b.pid"));
        assertThat(processes.alive(
                        PidRecord.read(dir.resolve("b.pid")).orElseThrow().identity()))
                .isFalse();
        assertThat(processes.stop(stale.identity(), Duration.ZERO)).isEqualTo(ProcessControl.Stop.NOT_OURS);
    }

    @Test
    void aPidFileNamingInitOrNoProcessIsIgnored() throws Exception {
        for (String pid : new String[] {"1", "0", "-1", "x"}) {
            Path file = dir.resolve("c.pid");
            Files.writeString(file, "pid=" + pid + "\nstart_time=0\ncommand=x\n");
            assertThat(PidRecord.read(file)).as(pid).isEmpty();
        }
    }
}
