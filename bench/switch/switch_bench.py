#!/usr/bin/env python3
"""Constant chat load through the gateway while the chat-switch-service switches models; prints the numbers.

Driven by bench/switch/run.sh, which starts the broker, the two services and prepares the models. Per scenario:
requests sent and failed (a streamed answer counts only when it ends with [DONE]), the time from "new backend
ready" (the switch operation's ready_at) to "gateway routes to it" (the gateway's applied_at for that switch),
the downtime the service measured (recreate) and the outage the clients saw.
"""

import argparse
import http.client
import json
import statistics
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime


def parse_instant(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def call(base, method, path, body=None, timeout=300):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


class Load:
    """Open-loop chat traffic at a fixed rate; one request in four streams."""

    def __init__(self, gateway, rate, model):
        self.url = urllib.parse.urlparse(gateway)
        self.interval = 1.0 / rate
        self.model = model
        self.results = []
        self.lock = threading.Lock()
        self.running = False
        self.pool = ThreadPoolExecutor(max_workers=128)
        self.thread = None
        self.counter = 0

    def start(self):
        self.running = True
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def stop(self):
        self.running = False
        self.thread.join()
        self.pool.shutdown(wait=True)

    def run(self):
        next_at = time.time()
        while self.running:
            self.counter += 1
            self.pool.submit(self.one, self.counter % 4 == 0)
            next_at += self.interval
            time.sleep(max(0.0, next_at - time.time()))

    def one(self, stream):
        started = time.time()
        body = {"model": self.model, "messages": [{"role": "user", "content": "how are you today"}], "max_tokens": 8,
                "stream": stream}
        status, answered, error = 0, None, None
        try:
            conn = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=30)
            conn.request("POST", "/v1/chat/completions", json.dumps(body), {"Content-Type": "application/json"})
            response = conn.getresponse()
            status = response.status
            text = response.read().decode("utf-8", "replace")
            conn.close()
            if status != 200:
                error = f"HTTP {status}: {text[:120]}"
            elif stream:
                if "data: [DONE]" not in text:
                    error = "stream ended without [DONE]"
                chunks = [line[6:] for line in text.splitlines() if line.startswith("data: {")]
                answered = json.loads(chunks[0]).get("model") if chunks else None
            else:
                answered = json.loads(text).get("model")
        except (OSError, http.client.HTTPException, ValueError) as e:
            error = f"{type(e).__name__}: {e}"
        with self.lock:
            self.results.append((started, time.time(), status, answered, error))

    def window(self, since, until):
        with self.lock:
            return [r for r in self.results if since <= r[0] < until]


class GatewayWatcher:
    """Polls GET /api/gateway/status and keeps, per switch operation, when the gateway applied its route."""

    def __init__(self, gateway):
        self.gateway = gateway
        self.applied = {}
        self.running = True
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while self.running:
            try:
                _, status = call(self.gateway, "GET", "/api/gateway/status", timeout=5)
                last = (status or {}).get("last_switch") or {}
                if last.get("operation_id") and last.get("state") == "active":
                    self.applied.setdefault(last["operation_id"], parse_instant(last["applied_at"]))
            except OSError:
                pass
            time.sleep(0.005)

    def wait_for(self, operation_id, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if operation_id in self.applied:
                return self.applied[operation_id]
            time.sleep(0.01)
        return None

    def stop(self):
        self.running = False
        self.thread.join()


def switch(chat, body):
    status, op = call(chat, "POST", "/api/chat/switch", body)
    if status != 202:
        raise SystemExit(f"switch {body} refused: {status} {op}")
    while op["state"] not in ("completed", "failed"):
        time.sleep(0.05)
        _, op = call(chat, "GET", "/api/chat/switch/" + op["id"])
    if op["state"] != "completed":
        raise SystemExit(f"switch {body} failed: {op['error']}")
    return op


def outages(results):
    """Longest spans without a successful answer: from the first failed request to the next success."""
    spans, first_failure = [], None
    for started, _, _, _, error in sorted(results):
        if error and first_failure is None:
            first_failure = started
        elif not error and first_failure is not None:
            spans.append(started - first_failure)
            first_failure = None
    return spans


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def scenario(name, load, watcher, steps, settle=1.0):
    began = time.time()
    ops = []
    for step in steps:
        ops.extend(step())
        time.sleep(settle)
    ended = time.time()
    results = load.window(began, ended)
    failed = [r for r in results if r[4]]
    lags, published, consumed = [], [], []
    for op in ops:
        timings = op.get("timings", {})
        if timings.get("ready_at"):
            applied = watcher.wait_for(op["id"])
            if applied is not None:
                ready, routed = parse_instant(timings["ready_at"]), parse_instant(timings["routed_at"])
                lags.append((applied - ready) * 1000)
                published.append((routed - ready) * 1000)
                consumed.append((applied - routed) * 1000)
    downtimes = [op["timings"]["downtime_ms"] for op in ops if op.get("timings", {}).get("downtime_ms")]
    spans = outages(results)
    print(f"\n== {name}: {len(ops)} switches, {len(results)} requests in {ended - began:.1f} s")
    print(f"   failed requests: {len(failed)} ({100.0 * len(failed) / max(1, len(results)):.2f} %)")
    for reason in sorted({r[4][:90] for r in failed})[:4]:
        print(f"     e.g. {reason}")
    if lags:
        print(f"   ready -> gateway routes (ms): p50 {statistics.median(lags):.1f}  p99 {percentile(lags, 99):.1f}"
              f"  max {max(lags):.1f}  (n={len(lags)})")
        print(f"     of which ready -> route acknowledged by Kafka: p50 {statistics.median(published):.1f}"
              f"  p99 {percentile(published, 99):.1f}; acknowledged -> applied by the gateway: p50"
              f" {statistics.median(consumed):.1f}  p99 {percentile(consumed, 99):.1f}")
    if downtimes:
        print(f"   downtime measured by the service (ms): mean {statistics.mean(downtimes):.0f}  max {max(downtimes)}")
    if spans:
        print(f"   outage seen by clients (ms): mean {1000 * statistics.mean(spans):.0f}  max {1000 * max(spans):.0f}")
    return {"scenario": name, "switches": len(ops), "requests": len(results), "failed": len(failed),
            "ready_to_routed_ms": lags, "downtime_ms": downtimes, "client_outage_ms": [1000 * s for s in spans]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gateway", required=True)
    parser.add_argument("--chat", required=True)
    parser.add_argument("--model-a", required=True)
    parser.add_argument("--model-b", required=True)
    parser.add_argument("--adapters", required=True, help="comma-separated LoRA adapter directories of model A")
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--switches", type=int, default=4)
    parser.add_argument("--json", help="write the raw numbers here")
    args = parser.parse_args()

    adapters = args.adapters.split(",")
    switch(args.chat, {"model": args.model_a})
    watcher = GatewayWatcher(args.gateway)
    load = Load(args.gateway, args.rate, "sage-chat")
    load.start()
    time.sleep(2)
    models = [args.model_b, args.model_a]
    n = args.switches
    report = [
        scenario("blue-green", load, watcher,
                 [lambda i=i: [switch(args.chat, {"model": models[i % 2], "strategy": "blue-green"})] for i in range(n)]),
        scenario("lora-hot-load", load, watcher,
                 [lambda: [switch(args.chat, {"model": args.model_a})]] +
                 [lambda i=i: [switch(args.chat, {"model": adapters[i % len(adapters)], "strategy": "lora-hot-load"})]
                  for i in range(2 * n)]),
        scenario("recreate", load, watcher,
                 [lambda i=i: [switch(args.chat, {"model": models[i % 2], "strategy": "recreate"})] for i in range(n)]),
        scenario("stop-then-start (no switch logic: POST /api/chat/stop, then start the next model)", load, watcher,
                 [lambda i=i: (call(args.chat, "POST", "/api/chat/stop"), [switch(args.chat, {"model": models[i % 2]})])[1]
                  for i in range(n)]),
    ]
    load.stop()
    watcher.stop()
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
