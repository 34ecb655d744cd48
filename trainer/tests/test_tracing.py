"""sage_trainer.tracing: silent without OpenTelemetry or an endpoint, spans in the caller's trace with them."""

from __future__ import annotations

import importlib.util
import sys
import unittest
from unittest import mock

from sage_trainer import tracing

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_SPAN}-01"

HAS_OTEL = (
    importlib.util.find_spec("opentelemetry") is not None and importlib.util.find_spec("opentelemetry.sdk") is not None
)


class NoopTest(unittest.TestCase):
    def tearDown(self) -> None:
        tracing.shutdown()

    def test_no_endpoint_means_no_tracing_even_with_a_traceparent(self) -> None:
        tracer = tracing.start({"TRACEPARENT": TRACEPARENT})
        self.assertFalse(tracer.enabled)
        with tracing.span("load_model", model="m") as span:
            self.assertIsNone(span)

    def test_an_endpoint_without_the_packages_stays_silent(self) -> None:
        hidden = {name: None for name in ("opentelemetry", "opentelemetry.sdk", "opentelemetry.propagate")}
        with mock.patch.dict(sys.modules, hidden), mock.patch.object(tracing, "log") as log:
            tracer = tracing.start({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9", "TRACEPARENT": TRACEPARENT})
            self.assertFalse(tracer.enabled)
            with tracing.span("train"):
                pass
        log.assert_called_once()
        self.assertIn("not installed", log.call_args.args[0])

    def test_an_error_inside_a_noop_span_propagates(self) -> None:
        tracing.start({})
        with self.assertRaises(ValueError):
            with tracing.span("train"):
                raise ValueError("boom")

    def test_run_works_without_anything_configured(self) -> None:
        with mock.patch.dict("os.environ", {}, clear=True):
            with tracing.run("sage_trainer.run", task_id="t1"):
                with tracing.span("save"):
                    pass


@unittest.skipUnless(HAS_OTEL, "opentelemetry-sdk is not installed")
class OtelTest(unittest.TestCase):
    def setUp(self) -> None:
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        self.exporter = InMemorySpanExporter()

    def tearDown(self) -> None:
        tracing.shutdown()

    def test_spans_join_the_trace_of_traceparent(self) -> None:
        tracer = tracing.start(
            {"TRACEPARENT": TRACEPARENT, "OTEL_SERVICE_NAME": "sage-trainer"}, exporter=self.exporter
        )
        self.assertTrue(tracer.enabled)
        with tracing.span("sage_trainer.run", task_id="t1"):
            with tracing.span("load_model", model="m"):
                pass
            with self.assertRaises(RuntimeError):
                with tracing.span("train"):
                    raise RuntimeError("out of memory")
        tracing.shutdown()
        spans = {s.name: s for s in self.exporter.get_finished_spans()}
        self.assertEqual({"sage_trainer.run", "load_model", "train"}, set(spans))
        for s in spans.values():
            self.assertEqual(TRACE_ID, format(s.context.trace_id, "032x"))
        run = spans["sage_trainer.run"]
        self.assertEqual(PARENT_SPAN, format(run.parent.span_id, "016x"))
        self.assertEqual(run.context.span_id, spans["load_model"].parent.span_id)
        self.assertEqual("t1", run.attributes["sage.task_id"])
        self.assertEqual("sage-trainer", run.resource.attributes["service.name"])
        self.assertEqual("ERROR", spans["train"].status.status_code.name)

    def test_without_traceparent_the_run_starts_a_trace(self) -> None:
        tracing.start({}, exporter=self.exporter)
        with tracing.span("sage_trainer.run"):
            pass
        tracing.shutdown()
        (run,) = self.exporter.get_finished_spans()
        self.assertIsNone(run.parent)


if __name__ == "__main__":
    unittest.main()
