"""OpenTelemetry spans of a trainer run, continuing the trace of the task's create call.

The finetune-service starts the trainer with ``TRACEPARENT`` (and ``TRACESTATE``) in its environment, the W3C
context of the create call, and, while its own tracing is on, ``OTEL_EXPORTER_OTLP_ENDPOINT``,
``OTEL_EXPORTER_OTLP_PROTOCOL`` and ``OTEL_SERVICE_NAME``. Spans (``sage_trainer.run`` around the whole process;
``load_model``, ``prepare_data``, ``train``, ``save``, ``merge`` inside it) are emitted only when both hold:

* the ``opentelemetry`` API, SDK and an OTLP exporter are importable (``opentelemetry-exporter-otlp-proto-http``,
  or ``…-proto-grpc`` for ``OTEL_EXPORTER_OTLP_PROTOCOL=grpc``), and
* an endpoint is configured (``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``).

Otherwise every call here is a no-op: the trainer has no hard dependency on OpenTelemetry, and a missing package
or endpoint never changes what it does. Only the exporter's own problems (a collector that is down) are logged, by
the SDK, and the run waits at most a few seconds at exit for the last spans.
"""

from __future__ import annotations

import contextlib
import os
from typing import Iterator, Mapping

from .protocol import log

_ENDPOINT_VARS = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
DEFAULT_SERVICE = "sage-trainer"
FLUSH_MILLIS = 5000


class _Noop:
    """Tracing off: spans are plain context managers that do nothing."""

    enabled = False

    @contextlib.contextmanager
    def span(self, name: str, **attributes) -> Iterator[None]:
        yield None

    def shutdown(self) -> None:
        pass


class _Otel:
    """Tracing on: spans of one tracer provider, children of the context in ``TRACEPARENT``."""

    enabled = True

    def __init__(self, provider, tracer, parent) -> None:
        self._provider = provider
        self._tracer = tracer
        self._parent = parent

    @contextlib.contextmanager
    def span(self, name: str, **attributes) -> Iterator[object]:
        from opentelemetry import trace
        from opentelemetry.trace import Status, StatusCode

        context = None if trace.get_current_span().get_span_context().is_valid else self._parent
        attrs = {f"sage.{k}": v for k, v in attributes.items() if v is not None}
        with self._tracer.start_as_current_span(
            name, context=context, attributes=attrs, record_exception=False, set_status_on_exception=False
        ) as span:
            try:
                yield span
            except BaseException as exc:
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                raise

    def shutdown(self) -> None:
        try:
            self._provider.force_flush(FLUSH_MILLIS)
            self._provider.shutdown()
        except Exception as exc:  # noqa: BLE001 - tracing never fails the run
            log(f"tracing: could not flush the last spans: {exc}")


_current: _Noop | _Otel = _Noop()


def configured(env: Mapping[str, str] | None = None) -> bool:
    """Whether an OTLP endpoint is set (the only switch: no endpoint, no tracing)."""
    env = os.environ if env is None else env
    return any(env.get(name, "").strip() for name in _ENDPOINT_VARS)


def _exporter(env: Mapping[str, str]):
    protocol = env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or env.get("OTEL_EXPORTER_OTLP_PROTOCOL") or ""
    if protocol.strip() == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    return OTLPSpanExporter()


def start(env: Mapping[str, str] | None = None, exporter=None):
    """Sets up tracing for this process from ``env`` (default: the environment) and returns the tracer in use.

    ``exporter`` replaces the OTLP exporter (tests pass an in-memory one). Without an endpoint, or without the
    packages, the no-op tracer is returned and nothing is imported beyond what is already loaded.
    """
    global _current
    env = os.environ if env is None else env
    if exporter is None and not configured(env):
        _current = _Noop()
        return _current
    try:
        from opentelemetry.propagate import extract
        from opentelemetry.sdk.resources import SERVICE_NAME, Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        span_exporter = exporter if exporter is not None else _exporter(env)
    except ImportError as exc:
        log(f"tracing: OTEL_EXPORTER_OTLP_ENDPOINT is set but OpenTelemetry is not installed ({exc.name}); no spans")
        _current = _Noop()
        return _current
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: env.get("OTEL_SERVICE_NAME") or DEFAULT_SERVICE}))
    processor = SimpleSpanProcessor(span_exporter) if exporter is not None else BatchSpanProcessor(span_exporter)
    provider.add_span_processor(processor)
    carrier = {}
    if env.get("TRACEPARENT"):
        carrier["traceparent"] = env["TRACEPARENT"]
        if env.get("TRACESTATE"):
            carrier["tracestate"] = env["TRACESTATE"]
    parent = TraceContextTextMapPropagator().extract(carrier) if carrier else extract({})
    _current = _Otel(provider, provider.get_tracer("sage_trainer"), parent)
    return _current


def span(name: str, **attributes):
    """A span named ``name`` under the current one (the run's span, or the create call's for the run itself)."""
    return _current.span(name, **attributes)


def shutdown() -> None:
    """Exports what is left (at most a few seconds) and returns to the no-op tracer."""
    global _current
    current, _current = _current, _Noop()
    current.shutdown()


@contextlib.contextmanager
def run(name: str, **attributes) -> Iterator[None]:
    """The whole process as one span: starts tracing from the environment, ends and flushes it at exit."""
    start()
    try:
        with span(name, **attributes):
            yield
    finally:
        shutdown()
