#!/usr/bin/env python3
"""Constant chat load through the gateway during two rollouts; prints the numbers (driven by bench/rollout/run.sh).

Against a running studio (stand-in trainer and vLLM): fine-tunes two LoRA adapters of one base, makes the first the
default and serves the second by name, then sends `--rate` requests per second of `"model": "sage-chat"` with a random
`user` each (one in four streamed) while
  (a) a healthy rollout of the second (steps 10, 50, 100) runs to its promotion: failed requests (target 0) and, per
      step, the share of requests the candidate answered against the step's weight (target within 5 points, with at
      least 200 requests per step);
  (b) a rollout of the first, whose generations fail at `--fail-ratio` (fake-vllm's test-only /_fake/faults on its
      engine), runs to its rollback: time from the breach (the first failed candidate request) to the rollback (the
      rollout's finished_at, and the last request that still reached the candidate), requests lost before it.
Which arm answered a request is read from the stand-in's answer ("[<served name>] you said: ...").
"""

import argparse
import http.client
import json
import os
import random
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

BASE_MODEL = "Qwen/Qwen2.5-0.5B-Instruct"
ARM = re.compile(r"^\[([^\]]+)\]")


def parse_instant(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def call(base, method, path, body=None, timeout=60, headers=None, expected=None):
    """(status, JSON body); with `expected` (statuses), just the body, and any other status ends the bench."""
    data = None if body is None else json.dumps(body).encode()
    all_headers = {"Content-Type": "application/json"} if data is not None else {}
    all_headers.update(headers or {})
    request = urllib.request.Request(base + path, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    try:
        answer = json.loads(raw or b"null")
    except ValueError:
        answer = raw.decode("utf-8", "replace")
    if expected is None:
        return status, answer
    if status not in expected:
        raise SystemExit(f"{method} {base}{path}: {status} {answer} (expected {expected})")
    return answer


def wait_for(what, check, timeout, interval=0.5):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise SystemExit(f"timed out after {timeout} s waiting for {what}")


# ---------------------------------------------------------------------------------------------- set-up


def upload_dataset(gateway, records=20):
    lines = "".join(
        json.dumps({"instruction": f"What is {i} plus 1?", "input": "", "output": str(i + 1)}) + "\n"
        for i in range(records)
    )
    boundary = "bench-" + uuid.uuid4().hex
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="rollout-bench.jsonl"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n{lines}\r\n--{boundary}--\r\n"
    ).encode()
    request = urllib.request.Request(
        gateway + "/api/finetune/upload-dataset",
        data=body,
        method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())["dataset_id"]


def fine_tune(gateway, dataset, suffix):
    spec = {"model_name": BASE_MODEL, "dataset_file": dataset, "num_epochs": 1, "batch_size": 1, "merge": False,
            "suffix": suffix}
    task = call(gateway, "POST", "/api/finetune/create", spec, expected=(201,))
    return task["task_id"]


def adapter_when_done(finetune, task_id):
    """The adapter folder of a completed fine-tune, None while it runs (read from the task list)."""
    tasks = call(finetune, "GET", "/api/finetune/tasks", expected=(200,))
    task = next((t for t in tasks if t["task_id"] == task_id), None)
    if task is None:
        raise SystemExit(f"fine-tune {task_id} is not in the task list")
    if task["status"] in ("failed", "cancelled"):
        raise SystemExit(f"fine-tune {task_id} ended {task['status']}: {task.get('error')}")
    return task["status"] == "completed" and (task.get("artifacts") or {}).get("lora")


def switch_to(chat, adapter, task_id):
    operation = call(chat, "POST", "/api/chat/switch", {"model": adapter}, expected=(202,))

    def finished():
        op = call(chat, "GET", f"/api/chat/switch/{operation['id']}", expected=(200,))
        return op if op["state"] in ("completed", "failed") else None

    operation = wait_for(f"the switch to {task_id}", finished, 180, 0.25)
    if operation["state"] != "completed":
        raise SystemExit(f"the switch to {task_id} failed: {operation}")


def ready(chat, task_id, adapter):
    entry = served_entry(chat, task_id, adapter)
    return entry is not None and entry["state"] == "ready"


def serving(chat):
    return call(chat, "GET", "/api/chat/serving", expected=(200,))


def served_entry(chat, task_id, adapter=None):
    """The serving set's entry of a task's adapter (its `display_name` or served `model` names the task, or an engine
    has it loaded from `adapter`), or None."""
    view = serving(chat)
    names = {a["name"] for e in view["engines"] for a in e.get("adapters") or [] if adapter and a["path"] == adapter}
    for model in view["models"]:
        if task_id in (model.get("display_name") or "") or task_id in model["model"] or model["model"] in names:
            return model
    return None


def engine_url(chat, served_name):
    view = serving(chat)
    engine_id = next(m["engine"] for m in view["models"] if m["model"] == served_name)
    return next(e["url"] for e in view["engines"] if e["id"] == engine_id).rstrip("/")


def set_fault(chat, home, served_name, ratio, seed):
    """fake-vllm's test-only fault knob on the engine that serves `served_name` (its API key is in the home)."""
    key = (Path(home) / "studio/chat/engine-api-key").read_text().strip()
    url = engine_url(chat, served_name)
    fault = {"model": served_name, "fail_ratio": ratio, "seed": seed}
    call(url, "POST", "/_fake/faults", fault, headers={"Authorization": "Bearer " + key}, expected=(200,))
    return url, key


def fault_counts(url, key, served_name):
    _, body = call(url, "GET", "/_fake/faults", headers={"Authorization": "Bearer " + key}, timeout=5)
    for fault in (body or {}).get("faults", []):
        if fault["model"] == served_name:
            return fault
    return {"requests": 0, "failed": 0}


# ---------------------------------------------------------------------------------------------- load


class Load:
    """Open-loop chat traffic at a fixed rate through the gateway: "sage-chat", a random user per request."""

    def __init__(self, gateway, rate):
        self.url = urllib.parse.urlparse(gateway)
        self.interval = 1.0 / rate
        self.results = []  # (started, ended, status, arm, error)
        self.lock = threading.Lock()
        self.running = False
        self.pool = ThreadPoolExecutor(max_workers=128)
        self.thread = None
        self.counter = 0
        self.random = random.Random(7)

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
            self.pool.submit(self.one, self.counter % 4 == 0, f"user-{self.random.randrange(1_000_000)}")
            next_at += self.interval
            time.sleep(max(0.0, next_at - time.time()))

    def one(self, stream, user):
        started = time.time()
        body = {"model": "sage-chat", "user": user, "max_tokens": 8, "stream": stream,
                "messages": [{"role": "user", "content": "how are you today"}]}
        status, arm, error = 0, None, None
        try:
            conn = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=30)
            conn.request("POST", "/v1/chat/completions", json.dumps(body), {"Content-Type": "application/json"})
            response = conn.getresponse()
            status = response.status
            text = response.read().decode("utf-8", "replace")
            conn.close()
            if status != 200:
                error = f"HTTP {status}: {text[:160]}"
            elif stream:
                if "data: [DONE]" not in text:
                    error = "stream ended without [DONE]"
                content = ""
                for line in text.splitlines():
                    if line.startswith("data: {"):
                        for choice in json.loads(line[6:]).get("choices", []):
                            content += (choice.get("delta") or {}).get("content") or ""
                arm = arm_of(content)
            else:
                arm = arm_of(json.loads(text)["choices"][0]["message"]["content"])
        except (OSError, http.client.HTTPException, ValueError, KeyError, IndexError) as e:
            error = f"{type(e).__name__}: {e}"
        with self.lock:
            self.results.append((started, time.time(), status, arm, error))

    def window(self, since, until):
        with self.lock:
            return [r for r in self.results if since <= r[0] < until]


def arm_of(content):
    match = ARM.match(content.strip())
    return match.group(1) if match else None


# ---------------------------------------------------------------------------------------------- rollouts


def run_rollout(chat, candidate, args, timeout):
    """Starts a rollout of `candidate` and polls it until it ends; answers (final Rollout, started_at)."""
    started = time.time()
    body = {"model": candidate, "steps": [10, 50, 100], "step_seconds": args.step_seconds,
            "max_error_rate": args.max_error_rate, "max_ttft_ratio": args.max_ttft_ratio,
            "min_requests": args.min_requests}
    rollout = call(chat, "POST", "/api/chat/rollouts", body, expected=(202,))
    rollout_id = rollout["rollout_id"]
    deadline = time.time() + timeout
    while rollout["state"] == "running":
        if time.time() > deadline:
            call(chat, "POST", f"/api/chat/rollouts/{rollout_id}/abort")
            raise SystemExit(f"rollout {rollout_id} still running after {timeout} s: {rollout}")
        time.sleep(0.1)
        rollout = call(chat, "GET", f"/api/chat/rollouts/{rollout_id}", expected=(200,))
    return rollout, started


def healthy(load, chat, candidate, args):
    rollout, started = run_rollout(chat, candidate, args, timeout=args.step_seconds * 6 + 120)
    entries = []
    for entry in rollout.get("history", []):
        if entry.get("event") in ("advanced", "promoted") and (
            not entries or entries[-1]["weight"] != entry["weight"]
        ):
            entries.append(entry)
    if rollout["state"] == "promoted":
        time.sleep(args.step_seconds)  # the 100 % step: as long as the others
    ended = time.time()
    steps = []
    for i, entry in enumerate(entries):
        begin = parse_instant(entry["at"])
        end = parse_instant(entries[i + 1]["at"]) if i + 1 < len(entries) else begin + args.step_seconds
        answered = [r for r in load.window(begin + args.settle, end) if r[2] == 200 and r[3]]
        on_candidate = sum(1 for r in answered if r[3] == candidate)
        share = 100.0 * on_candidate / len(answered) if answered else None
        steps.append({"weight": entry["weight"], "requests": len(answered), "candidate": on_candidate,
                      "share": None if share is None else round(share, 1),
                      "within_5_points": share is not None and abs(share - entry["weight"]) <= 5})
    during = load.window(started, ended)
    failed = [r for r in during if r[2] != 200 or r[4]]
    return {
        "rollout_id": rollout["rollout_id"],
        "state": rollout["state"],
        "reason": rollout.get("reason"),
        "requests": len(during),
        "failed": len(failed),
        "failures": sorted({r[4] for r in failed})[:5],
        "steps": steps,
        "seconds": round(ended - started, 1),
    }


def failing(load, chat, home, candidate, baseline, args):
    url, key = set_fault(chat, home, candidate, args.fail_ratio, args.seed)
    try:
        rollout, started = run_rollout(chat, candidate, args, timeout=args.step_seconds * 6 + 120)
        time.sleep(5)  # requests that were in flight at the rollback, and a look at the traffic after it
        counts = fault_counts(url, key, candidate)
    finally:
        call(url, "DELETE", "/_fake/faults", headers={"Authorization": "Bearer " + key})
    during = load.window(started, time.time())
    finished = parse_instant(rollout["finished_at"]) if rollout.get("finished_at") else None
    failed = sorted((r for r in during if r[2] != 200 or r[4]), key=lambda r: r[1])
    reached = [r for r in during if r[3] == candidate or r[2] != 200 or r[4]]
    breach = failed[0][1] if failed else None
    after = [r for r in during if finished is not None and r[0] > finished + args.settle]
    return {
        "rollout_id": rollout["rollout_id"],
        "state": rollout["state"],
        "reason": rollout.get("reason"),
        "fail_ratio": args.fail_ratio,
        "requests": len(during),
        "candidate_requests": len(reached),
        "lost": len(failed),
        "engine_injected_failures": counts.get("failed"),
        "breach_to_rollback_ms": None if breach is None or finished is None else round((finished - breach) * 1000),
        "breach_to_last_candidate_request_ms": None if breach is None
        else round((max(r[0] for r in reached) - breach) * 1000),
        "failed_after_rollback": sum(1 for r in after if r[2] != 200 or r[4]),
        "served_by_baseline_after_rollback": sum(1 for r in after if r[3] == baseline),
        "requests_after_rollback": len(after),
        "within_one_step": breach is not None and finished is not None and finished - breach <= args.step_seconds,
    }


# ---------------------------------------------------------------------------------------------- report


def table(result):
    h, f = result["healthy"], result["failing"]
    rows = [
        ("healthy rollout", "state", h["state"], "promoted"),
        ("healthy rollout", "failed requests", f"{h['failed']} of {h['requests']}", "0"),
    ]
    for step in h["steps"]:
        share = "-" if step["share"] is None else f"{step['share']} %"
        rows.append(("healthy rollout", f"candidate share at weight {step['weight']} %",
                     f"{share} of {step['requests']} requests", f"{step['weight']} ± 5, ≥ 200 requests"))
    rows += [
        ("failing candidate", "state", f["state"], "rolled_back"),
        ("failing candidate", "breach → rolled_back (finished_at)", fmt_ms(f["breach_to_rollback_ms"]),
         f"≤ one step ({result['step_seconds']} s)"),
        ("failing candidate", "breach → last request to the candidate",
         fmt_ms(f["breach_to_last_candidate_request_ms"]), ""),
        ("failing candidate", "requests lost to the candidate",
         f"{f['lost']} of {f['candidate_requests']} it got (engine injected {f['engine_injected_failures']})", ""),
        ("failing candidate", "failed requests after the rollback",
         f"{f['failed_after_rollback']} of {f['requests_after_rollback']}", "0"),
    ]
    lines = ["| phase | metric | value | target |", "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines)


def fmt_ms(value):
    return "-" if value is None else f"{value} ms"


def write_readme(path, result, text):
    readme = Path(path)
    content = readme.read_text(encoding="utf-8")
    start, end = "<!-- results:start -->", "<!-- results:end -->"
    if start not in content or end not in content:
        raise SystemExit(f"{path} has no {start} … {end} section")
    block = (f"{start}\nRun of {result['date']} ({result['machine']}), {result['rate']} req/s, step_seconds "
             f"{result['step_seconds']}, min_requests {result['min_requests']}:\n\n{text}\n\n```json\n"
             f"{json.dumps(result)}\n```\n{end}")
    readme.write_text(content[: content.index(start)] + block + content[content.index(end) + len(end):],
                      encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gateway", required=True)
    parser.add_argument("--chat", required=True)
    parser.add_argument("--finetune", required=True)
    parser.add_argument("--home", required=True)
    parser.add_argument("--readme")
    parser.add_argument("--write", action="store_true", help="write the results into --readme")
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--step-seconds", type=int, default=30)
    parser.add_argument("--min-requests", type=int, default=20)
    parser.add_argument("--max-error-rate", type=float, default=0.02)
    parser.add_argument("--max-ttft-ratio", type=float, default=1.5)
    parser.add_argument("--fail-ratio", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--settle", type=float, default=1.0,
                        help="seconds after a weight change left out of a step's share (the route's way to the "
                        "gateway)")
    args = parser.parse_args()

    wait_for("the default model", lambda: call(args.chat, "GET", "/api/finetune/current-model")[1].get("state")
             == "active", 180)
    dataset = upload_dataset(args.gateway)
    first, second = fine_tune(args.gateway, dataset, "bench-a"), fine_tune(args.gateway, dataset, "bench-b")
    adapters = [wait_for(f"fine-tune {t}", lambda t=t: adapter_when_done(args.finetune, t), 300)
                for t in (first, second)]
    # By the adapter's path (a task id works too, but needs the finetune-service's GET /api/finetune/tasks/{id}).
    switch_to(args.chat, adapters[0], first)
    call(args.chat, "POST", "/api/chat/serving", {"model": adapters[1]}, expected=(200, 202))
    wait_for("the second adapter served", lambda: ready(args.chat, second, adapters[1]), 180)
    first_name = served_entry(args.chat, first, adapters[0])["model"]
    second_name = served_entry(args.chat, second, adapters[1])["model"]
    print(f"default {first_name} (task {first}), candidate {second_name} (task {second}), "
          f"{args.rate:g} req/s, step_seconds {args.step_seconds}, min_requests {args.min_requests}", flush=True)

    load = Load(args.gateway, args.rate)
    load.start()
    try:
        time.sleep(5)  # the baseline's traffic figures exist before the first guard check
        warmup = load.window(0, time.time())
        if any(r[2] != 200 for r in warmup):
            raise SystemExit(f"requests fail before any rollout: {[r[4] for r in warmup if r[4]][:3]}")
        print("(a) healthy rollout 10 -> 50 -> 100 ...", flush=True)
        good = healthy(load, args.chat, second_name, args)
        # After a promotion the second is the default and the first, still served by name, the next candidate.
        baseline = serving(args.chat)["default"]
        candidate = first_name if baseline == second_name else second_name
        print(f"(b) rollout of {candidate} failing {args.fail_ratio:.0%} of its requests ...", flush=True)
        bad = failing(load, args.chat, args.home, candidate, baseline, args)
    finally:
        load.stop()

    result = {
        "bench": "rollout",
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} CPUs, load average "
                   + " ".join(Path("/proc/loadavg").read_text().split()[:3]),
        "rate": args.rate,
        "step_seconds": args.step_seconds,
        "min_requests": args.min_requests,
        "healthy": good,
        "failing": bad,
    }
    text = table(result)
    print(text)
    print(json.dumps(result))
    if args.write and args.readme:
        write_readme(args.readme, result, text)
        print(f"written to {args.readme}")


if __name__ == "__main__":
    main()
