package io.sage.studio.chat.rollout;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import org.jboss.logging.Logger;

import io.quarkus.runtime.StartupEvent;
import io.sage.studio.chat.ChatSwitchError;
import io.sage.studio.chat.config.ChatConfig;
import io.sage.studio.chat.messaging.RoutePublisher;
import io.sage.studio.chat.messaging.RoutePublisher.RoutingFailure;
import io.sage.studio.chat.messaging.TrafficView;
import io.sage.studio.chat.metrics.ChatMetrics;
import io.sage.studio.chat.state.ChatState;
import io.sage.studio.chat.state.PublishedRoute;
import io.sage.studio.chat.state.RolloutSplit;
import io.sage.studio.chat.state.RouteState;
import io.sage.studio.chat.switching.EvaluationGate;
import io.sage.studio.chat.switching.ServingService;
import io.sage.studio.chat.switching.SwitchOperation;
import io.sage.studio.chat.switching.SwitchService;
import io.sage.studio.common.error.StudioException;

/**
 * Runs rollouts, one at a time: a candidate model gets a growing share of the default's traffic ({@code sage-chat}
 * and requests without a model), step by step, while the gateways' figures ({@link TrafficView}) stay within the
 * guards ({@link RolloutGuards}); the last step makes it the default, a breach takes all traffic back to the baseline
 * at once.
 *
 * <p>The weights travel in the route event ({@link RolloutSplit} in {@link ChatState}, published by
 * {@link RoutePublisher#refresh}), so every gateway replica splits alike. A route the broker did not acknowledge is
 * left to the monitor to publish again ({@code routePending}), like a switch's. The controller runs every second on
 * its own thread; the API's promote and abort run on the caller's; both are serialised by this object's lock.
 * Promotion changes the default, so it takes the switch slot. A switch during a rollout ends it: a switch to the
 * candidate counts as its promotion, to anything else as an abort.
 *
 * <p>After a restart a running rollout goes on at the step it was at, which starts again (its figures from then on).
 */
@ApplicationScoped
public class RolloutService {

    private static final Logger LOG = Logger.getLogger(RolloutService.class);
    static final Duration TICK = Duration.ofSeconds(1);

    private final ChatMetrics metrics;
    private final ChatState state;
    private final RoutePublisher routes;
    private final TrafficView traffic;
    private final RolloutStore store;
    private final SwitchService switches;
    private final ServingService serving;
    private final Duration serveTimeout;
    private final Clock clock;
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "chat-rollouts");
        thread.setDaemon(true);
        return thread;
    });

    /** The running rollout and the totals its step counts from ({@code null} until the traffic view caught up). */
    private Rollout running;

    private Map<String, TrafficView.Totals> stepStart;

    /** The operation serving the candidate when the rollout had to serve it, and until when it may take. */
    private String servingOperation;

    private Instant servedBy;

    private final EvaluationGate evaluations;

    public RolloutService(
            ChatState state,
            RoutePublisher routes,
            TrafficView traffic,
            RolloutStore store,
            SwitchService switches,
            ServingService serving,
            EvaluationGate evaluations,
            ChatMetrics metrics,
            ChatConfig config) {
        this.evaluations = evaluations;
        this.metrics = metrics;
        this.state = state;
        this.routes = routes;
        this.traffic = traffic;
        this.store = store;
        this.switches = switches;
        this.serving = serving;
        this.serveTimeout = config.readyTimeout().plusMinutes(1);
        this.clock = Clock.systemUTC();
    }

    void onStart(@Observes StartupEvent event) {
        synchronized (this) {
            for (Rollout rollout : store.load()) {
                if (!rollout.state().terminal()) {
                    servedBy = Instant.now().plus(serveTimeout);
                    running = rollout.with(new Rollout.Entry(
                            Instant.now(),
                            rollout.weight(),
                            "note",
                            "the service restarted; the step under way starts again",
                            null,
                            null));
                    store.save(running);
                }
            }
        }
        ticker.scheduleWithFixedDelay(this::tickSafely, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
    }

    @PreDestroy
    void stop() {
        ticker.shutdownNow();
    }

    /** Starts a rollout of a model served by name ({@code 202}); see the class comment. */
    public synchronized Rollout start(RolloutRequest request) {
        RolloutRequest.Valid valid = request.validated();
        if (running != null) {
            throw new StudioException(
                    ChatSwitchError.ROLLOUT_IN_PROGRESS,
                    "rollout " + running.rolloutId() + " of " + running.model() + " runs; promote or abort it first",
                    List.of(Map.of("rollout_id", running.rolloutId())));
        }
        switches.running().ifPresent(id -> {
            throw new StudioException(
                    ChatSwitchError.SWITCH_IN_PROGRESS,
                    "a switch is in progress (" + id + "); start the rollout when it has finished",
                    List.of(Map.of("operation_id", id)));
        });
        PublishedRoute baseline = defaultRoute()
                .orElseThrow(() -> new StudioException(
                        ChatSwitchError.NO_DEFAULT_MODEL,
                        "no model serves as the default yet: switch one on first, then roll another out"));
        if (candidateIsDefault(valid.model(), baseline)) {
            throw isDefault(valid.model());
        }
        Optional<PublishedRoute> served = servedByName(valid.model());
        Optional<String> override = evaluations.check(
                served.map(r -> EvaluationGate.taskOf(r.model())).orElseGet(() -> evaluations.taskOf(valid.model())),
                request.requireEvaluation(),
                request.force());
        String candidate;
        String operation = null;
        if (served.isPresent()) {
            candidate = served.get().servedModelName();
        } else {
            ServingService.Outcome outcome = serving.serve(valid.model(), false, "rollout");
            candidate = outcome.result().model();
            operation = outcome.result().operationId();
            if (candidate.equals(baseline.servedModelName())) {
                throw isDefault(valid.model());
            }
        }
        Instant now = clock.instant();
        Rollout rollout = new Rollout(
                UUID.randomUUID().toString(),
                candidate,
                baseline.servedModelName(),
                Rollout.State.RUNNING,
                0,
                0,
                valid.steps(),
                valid.stepSeconds(),
                valid.guards(),
                now,
                null,
                List.of(),
                null,
                now,
                null,
                override.isPresent());
        rollout = rollout.with(new Rollout.Entry(
                now,
                0,
                "started",
                "rolling " + candidate + " out in place of " + baseline.servedModelName() + " in steps of "
                        + valid.steps() + " %, " + valid.stepSeconds() + " s each at least",
                null,
                null));
        if (override.isPresent()) {
            rollout = rollout.with(new Rollout.Entry(now, 0, "note", override.get(), null, null));
        }
        if (operation != null) {
            rollout = rollout.with(new Rollout.Entry(
                    now,
                    0,
                    "serving",
                    candidate + " is not served yet: serving it first (operation " + operation + ")",
                    null,
                    null));
        }
        running = rollout;
        stepStart = null;
        servingOperation = operation;
        servedBy = now.plus(serveTimeout);
        store.save(rollout);
        tickSafely();
        return running == null ? store.find(rollout.rolloutId()).orElseThrow() : running;
    }

    public synchronized Optional<Rollout> find(String id) {
        if (running != null && running.rolloutId().equals(id)) {
            return Optional.of(running);
        }
        return store.find(id);
    }

    public synchronized List<Rollout> recent(int limit) {
        List<Rollout> all = new ArrayList<>(store.recent(limit));
        if (running != null) {
            all.replaceAll(r -> r.rolloutId().equals(running.rolloutId()) ? running : r);
        }
        return all;
    }

    /** Makes the candidate the default now; 409 while a switch runs or when the rollout has ended. */
    public synchronized Rollout promote(String id) {
        Rollout rollout = runningOne(id);
        if (!switches.tryExclusively("rollout-promote", () -> promoteNow("promoted by request"))) {
            throw new StudioException(
                    ChatSwitchError.SWITCH_IN_PROGRESS,
                    "a switch is in progress; promote when it has finished",
                    List.of(Map.of("operation_id", switches.running().orElse(""))));
        }
        return store.find(rollout.rolloutId()).orElseThrow();
    }

    /** Takes all traffic back to the baseline now; the candidate stays served by name. */
    public synchronized Rollout abort(String id) {
        Rollout rollout = runningOne(id);
        backToBaseline(Rollout.State.ABORTED, "aborted by request");
        return store.find(rollout.rolloutId()).orElseThrow();
    }

    /** The running rollout the model is an arm of, if any (the serving set refuses to unserve it). */
    public synchronized Optional<Rollout> usingModel(String servedModelName) {
        return Optional.ofNullable(running)
                .filter(r -> r.model().equals(servedModelName) || r.baseline().equals(servedModelName));
    }

    private Rollout runningOne(String id) {
        Rollout rollout =
                find(id).orElseThrow(() -> new StudioException(ChatSwitchError.ROLLOUT_NOT_FOUND, "no rollout " + id));
        if (rollout.state().terminal()) {
            throw new StudioException(
                    ChatSwitchError.ROLLOUT_FINISHED,
                    "rollout " + id + " has ended (" + rollout.state().wire() + ")");
        }
        return rollout;
    }

    private void tickSafely() {
        try {
            synchronized (this) {
                tick();
            }
        } catch (RuntimeException e) {
            LOG.errorf(e, "the rollout controller failed; trying again in %d s", TICK.toSeconds());
        }
    }

    /** One look at the running rollout (package-private for tests). */
    void tick() {
        if (running == null || !traffic.caughtUp()) {
            return;
        }
        if (switches.running().isEmpty() && !state.routePending()) {
            Optional<PublishedRoute> current = defaultRoute();
            String now = current.map(PublishedRoute::servedModelName).orElse(null);
            if (running.model().equals(now)) {
                state.split(null);
                finish(Rollout.State.PROMOTED, 100, "a switch made " + now + " the default");
                return;
            }
            if (!running.baseline().equals(now)) {
                state.split(null);
                finish(
                        Rollout.State.ABORTED,
                        0,
                        now == null
                                ? "no model serves as the default any more"
                                : "a switch made " + now + " the default");
                return;
            }
        }
        Optional<PublishedRoute> candidate = servedByName(running.model());
        if (candidate.isEmpty()) {
            if (stepStart == null && running.weight() == 0) {
                awaitCandidate();
            } else {
                backToBaseline(Rollout.State.ABORTED, running.model() + " is no longer served");
            }
            return;
        }
        if (stepStart == null) {
            applyWeight(candidate.get(), running.step(), running.weight() == 0 ? "advanced" : "resumed");
            return;
        }
        TrafficView.Totals baseline = traffic.totals(running.baseline()).minus(at(running.baseline()));
        TrafficView.Totals tried = traffic.totals(running.model()).minus(at(running.model()));
        running = running.withArms(arms(baseline, tried));
        boolean stepOver = !clock.instant().isBefore(running.stepStartedAt().plusSeconds(running.stepSeconds()));
        RolloutGuards.Verdict verdict = RolloutGuards.judge(running.guards(), baseline, tried, stepOver);
        if (verdict instanceof RolloutGuards.Verdict.RollBack rollBack) {
            backToBaseline(Rollout.State.ROLLED_BACK, rollBack.why());
        } else if (verdict instanceof RolloutGuards.Verdict.Advance) {
            applyWeight(
                    candidate.get(),
                    Math.min(running.step() + 1, running.steps().size() - 1),
                    "advanced");
        }
    }

    /** The candidate is being served for the rollout: ends the rollout when that failed or takes too long. */
    private void awaitCandidate() {
        Optional<SwitchOperation> failed = Optional.ofNullable(servingOperation)
                .flatMap(serving::completion)
                .filter(f -> f.isDone() && !f.isCompletedExceptionally())
                .map(f -> f.join())
                .filter(op -> op.state().terminal() && op.error() != null);
        if (failed.isPresent()) {
            backToBaseline(
                    Rollout.State.ABORTED,
                    "serving " + running.model() + " failed: " + failed.get().error());
        } else if (servedBy == null || clock.instant().isAfter(servedBy)) {
            backToBaseline(
                    Rollout.State.ABORTED,
                    running.model() + " did not come to serve within " + serveTimeout.toSeconds() + " s");
        }
    }

    private void applyWeight(PublishedRoute candidate, int step, String event) {
        int weight = running.steps().get(step);
        if (weight >= 100) {
            switches.tryExclusively("rollout-promote", () -> promoteNow("every step passed its guards"));
            return;
        }
        Rollout.Arms ended = running.arms();
        state.split(new RolloutSplit(running.rolloutId(), running.baseline(), candidate, weight));
        publish();
        stepStart = Map.of(
                running.baseline(),
                traffic.totals(running.baseline()),
                running.model(),
                traffic.totals(running.model()));
        Instant now = clock.instant();
        running = running.atStep(step, weight, now)
                .with(new Rollout.Entry(
                        now,
                        weight,
                        event,
                        running.model() + " gets " + weight + " % of the default's traffic",
                        ended == null ? null : ended.baseline(),
                        ended == null ? null : ended.candidate()));
        store.save(running);
        metrics.rolloutStep(running, event);
    }

    private void promoteNow(String why) {
        if (running == null) {
            return;
        }
        PublishedRoute candidate = servedByName(running.model()).orElse(null);
        PublishedRoute baseline = defaultRoute().orElse(null);
        if (candidate == null) {
            backToBaseline(Rollout.State.ABORTED, running.model() + " is no longer served");
            return;
        }
        state.split(null);
        state.unserve(candidate.servedModelName());
        if (baseline != null) {
            state.serve(baseline);
        }
        try {
            routes.active(candidate, null);
        } catch (RoutingFailure e) {
            LOG.warnf("the promotion's route is not acknowledged yet (%s); the monitor publishes it", e.getMessage());
            state.routePending(RouteState.ACTIVE, candidate);
        }
        finish(Rollout.State.PROMOTED, 100, why + ": " + running.model() + " is the default now");
    }

    private void backToBaseline(Rollout.State end, String why) {
        state.split(null);
        publish();
        finish(end, 0, why);
    }

    private void publish() {
        try {
            routes.refresh(null);
        } catch (RoutingFailure e) {
            LOG.warnf("the rollout's route is not acknowledged yet (%s); the monitor publishes it", e.getMessage());
            state.routePending(state.routeState(), state.route().orElse(null));
        }
    }

    private void finish(Rollout.State end, int weight, String why) {
        Instant now = clock.instant();
        Rollout.Arms arms = running.arms();
        Rollout done = running.ended(end, weight, why, now)
                .with(new Rollout.Entry(
                        now,
                        weight,
                        end.wire(),
                        why,
                        arms == null ? null : arms.baseline(),
                        arms == null ? null : arms.candidate()));
        LOG.infof("rollout %s of %s: %s (%s)", done.rolloutId(), done.model(), end.wire(), why);
        store.save(done);
        metrics.rolloutEnded(done);
        running = null;
        stepStart = null;
        servingOperation = null;
        servedBy = null;
    }

    private TrafficView.Totals at(String model) {
        return stepStart.getOrDefault(model, TrafficView.Totals.ZERO);
    }

    private Rollout.Arms arms(TrafficView.Totals baseline, TrafficView.Totals candidate) {
        return new Rollout.Arms(
                Rollout.Arm.of(running.baseline(), baseline), Rollout.Arm.of(running.model(), candidate));
    }

    private Optional<PublishedRoute> defaultRoute() {
        return state.routeState() == RouteState.ACTIVE ? state.route() : Optional.empty();
    }

    /** A model served by name: by served name, display name, task id or model id. */
    private Optional<PublishedRoute> servedByName(String name) {
        return state.served().stream()
                .filter(r -> name.equals(r.servedModelName())
                        || name.equals(r.model().displayName())
                        || name.equals(r.model().taskId())
                        || name.equals(r.model().id()))
                .findFirst();
    }

    private static StudioException isDefault(String model) {
        return new StudioException(
                ChatSwitchError.MODEL_IS_DEFAULT, "'" + model + "' is the default already: roll out another model");
    }

    private static boolean candidateIsDefault(String name, PublishedRoute baseline) {
        return name.equals(baseline.servedModelName())
                || name.equals(baseline.model().displayName())
                || name.equals(baseline.model().taskId())
                || name.equals(baseline.model().id());
    }
}
