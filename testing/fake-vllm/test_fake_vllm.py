"""The stand-in vLLM checks API keys exactly like vLLM's AuthenticationMiddleware (vllm/entrypoints/openai):
with `--api-key` (or, without it, `VLLM_API_KEY`) every path starting with /v1 needs `Authorization: Bearer KEY`
(scheme case-insensitive), else 401 `{"error": "Unauthorized"}`; /health, /metrics, /ping and /version stay open."""

import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "fake_vllm.py"
MODEL = "Qwen/Qwen2.5-0.5B-Instruct"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Engine:
    """One fake_vllm process on a free loopback port."""

    def __init__(self, *args, env=None, model=MODEL):
        self.port = free_port()
        environment = {
            k: v for k, v in os.environ.items() if not k.startswith(("FAKE_VLLM_", "VLLM_", "CUDA_VISIBLE_DEVICES"))
        }
        environment.update(env or {})
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, str(SCRIPT), "serve", model, "--host", "127.0.0.1", "--port", str(self.port), *args],
            env=environment,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                if self.request("GET", "/health")[0] == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise AssertionError("fake_vllm did not start: " + self.output())
            time.sleep(0.05)

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            data = json.dumps(body).encode() if body is not None else None
            all_headers = {"Content-Type": "application/json"} if data is not None else {}
            all_headers.update(headers or {})
            connection.request(method, path, body=data, headers=all_headers)
            response = connection.getresponse()
            return response.status, response.read().decode("utf-8"), response.getheader("Content-Type")
        finally:
            connection.close()

    def output(self):
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def close(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


CHAT = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}


class ApiKeyTest(unittest.TestCase):
    def engine(self, *args, env=None):
        engine = Engine(*args, env=env)
        self.addCleanup(engine.close)
        return engine

    def assert_unauthorized(self, answer):
        status, body, content_type = answer
        self.assertEqual(401, status, body)
        self.assertEqual({"error": "Unauthorized"}, json.loads(body))
        self.assertEqual("application/json", content_type)

    def test_without_a_key_everything_is_open(self):
        engine = self.engine()
        self.assertEqual(200, engine.request("GET", "/v1/models")[0])
        self.assertEqual(200, engine.request("POST", "/v1/chat/completions", CHAT)[0])

    def test_every_v1_path_needs_the_bearer_key_and_the_others_stay_open(self):
        engine = self.engine("--api-key", "sk-right")
        for method, path, body in (
            ("GET", "/v1/models", None),
            ("POST", "/v1/chat/completions", CHAT),
            ("POST", "/v1/completions", {"model": MODEL, "prompt": "x"}),
            ("POST", "/v1/load_lora_adapter", {"lora_name": "a", "lora_path": "/x"}),
            ("POST", "/v1/unload_lora_adapter", {"lora_name": "a"}),
            ("GET", "/v1/no-such-route", None),
            ("GET", "/v1models", None),
            ("GET", "/v1/models?x=1", None),
        ):
            with self.subTest(path=path):
                self.assert_unauthorized(engine.request(method, path, body))
                self.assert_unauthorized(engine.request(method, path, body, {"Authorization": "Bearer sk-wrong"}))
                self.assert_unauthorized(engine.request(method, path, body, {"Authorization": "sk-right"}))
                self.assert_unauthorized(engine.request(method, path, body, {"Authorization": "Basic sk-right"}))
        for path in ("/health", "/metrics", "/ping", "/version"):
            with self.subTest(path=path):
                self.assertEqual(200, engine.request("GET", path)[0])

    def test_the_right_key_passes_with_any_case_of_the_scheme(self):
        engine = self.engine("--api-key", "sk-right")
        for scheme in ("Bearer", "bearer", "BEARER"):
            with self.subTest(scheme=scheme):
                status, body, _ = engine.request("GET", "/v1/models", headers={"Authorization": scheme + " sk-right"})
                self.assertEqual(200, status)
                self.assertEqual(MODEL, json.loads(body)["data"][0]["id"])
        status, _, _ = engine.request("POST", "/v1/chat/completions", CHAT, {"Authorization": "Bearer sk-right"})
        self.assertEqual(200, status)
        # Past the key, vLLM's own answers: an unknown route is 404, runtime LoRA loading off is 404.
        self.assertEqual(
            404, engine.request("GET", "/v1/no-such-route", headers={"Authorization": "Bearer sk-right"})[0]
        )
        self.assertEqual(
            404,
            engine.request(
                "POST",
                "/v1/load_lora_adapter",
                {"lora_name": "a", "lora_path": "/x"},
                {"Authorization": "Bearer sk-right"},
            )[0],
        )

    def test_the_key_comes_from_vllm_api_key_when_no_flag_gives_one(self):
        engine = self.engine(env={"VLLM_API_KEY": "sk-from-env"})
        self.assert_unauthorized(engine.request("GET", "/v1/models"))
        self.assertEqual(200, engine.request("GET", "/v1/models", headers={"Authorization": "Bearer sk-from-env"})[0])

    def test_the_flag_wins_over_the_environment_and_may_name_several_keys(self):
        engine = self.engine("--api-key", "sk-one", "sk-two", env={"VLLM_API_KEY": "sk-from-env"})
        self.assertEqual(200, engine.request("GET", "/v1/models", headers={"Authorization": "Bearer sk-one"})[0])
        self.assertEqual(200, engine.request("GET", "/v1/models", headers={"Authorization": "Bearer sk-two"})[0])
        self.assert_unauthorized(engine.request("GET", "/v1/models", headers={"Authorization": "Bearer sk-from-env"}))

    def test_an_empty_key_means_no_key(self):
        engine = self.engine(env={"VLLM_API_KEY": ""})
        self.assertEqual(200, engine.request("GET", "/v1/models")[0])

    def test_a_refused_request_with_a_body_leaves_the_connection_usable(self):
        engine = self.engine("--api-key", "sk-right")
        connection = http.client.HTTPConnection("127.0.0.1", engine.port, timeout=10)
        self.addCleanup(connection.close)
        for headers, expected in (({}, 401), ({"Authorization": "Bearer sk-right"}, 200)):
            connection.request(
                "POST",
                "/v1/chat/completions",
                body=json.dumps(CHAT).encode(),
                headers={"Content-Type": "application/json", **headers},
            )
            response = connection.getresponse()
            response.read()
            self.assertEqual(expected, response.status)

    def test_runtime_lora_loading_needs_the_key_too(self):
        with tempfile.TemporaryDirectory() as adapter:
            Path(adapter, "adapter_config.json").write_text(json.dumps({"r": 8, "base_model_name_or_path": MODEL}))
            engine = self.engine(
                "--api-key", "sk-right", "--enable-lora", env={"VLLM_ALLOW_RUNTIME_LORA_UPDATING": "True"}
            )
            load = {"lora_name": "ft-x", "lora_path": adapter}
            self.assert_unauthorized(engine.request("POST", "/v1/load_lora_adapter", load))
            status, body, _ = engine.request(
                "POST", "/v1/load_lora_adapter", load, {"Authorization": "Bearer sk-right"}
            )
            self.assertEqual(200, status, body)

    def test_the_key_never_reaches_the_log(self):
        engine = self.engine("--api-key", "sk-secret-value")
        engine.request("GET", "/v1/models", headers={"Authorization": "Bearer wrong"})
        self.assertNotIn("sk-secret-value", engine.output())


def run_to_exit(*args, model=MODEL, env=None):
    """Runs the stand-in expecting it to exit at start; answers (exit status, output)."""
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("FAKE_VLLM_", "VLLM_", "CUDA_VISIBLE_DEVICES"))
    }
    environment.update(env or {})
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "serve", model, "--host", "127.0.0.1", "--port", str(free_port()), *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=20,
    )
    return done.returncode, done.stdout + done.stderr


def adapter_dir(parent, name, rank):
    path = Path(parent, name)
    path.mkdir(parents=True)
    (path / "adapter_config.json").write_text(json.dumps({"r": rank, "base_model_name_or_path": MODEL}))
    return str(path)


def model_dir(parent, name, architectures, tokenizer=None):
    path = Path(parent, name)
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"architectures": architectures}))
    if tokenizer is not None:
        (path / "tokenizer_config.json").write_text(json.dumps(tokenizer))
    return str(path)


RUNTIME_LORA = {"VLLM_ALLOW_RUNTIME_LORA_UPDATING": "True"}


class VllmRulesTest(unittest.TestCase):
    """The rules of vLLM v0.11 the stand-in keeps (chat-switch-service DESIGN.md "vLLM's rules")."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", self.dir]))

    def engine(self, *args, env=None, model=MODEL):
        engine = Engine(*args, env=env, model=model)
        self.addCleanup(engine.close)
        return engine

    def test_a_max_lora_rank_outside_vllms_set_exits_at_start(self):
        for rank in ("96", "1024", "1", "100"):
            with self.subTest(rank=rank):
                status, output = run_to_exit("--enable-lora", "--max-lora-rank", rank)
                self.assertNotEqual(0, status)
                self.assertIn("--max-lora-rank", output)
        for rank in ("8", "128", "320", "512"):
            with self.subTest(rank=rank):
                self.engine("--enable-lora", "--max-lora-rank", rank)

    def test_tensor_parallel_size_must_divide_the_heads_and_fit_the_visible_gpus(self):
        # Qwen2.5-0.5B's shape: 14 attention heads, 2 key/value heads
        qwen = model_dir(self.dir, "qwen", ["Qwen2ForCausalLM"])
        config = Path(qwen, "config.json")
        config.write_text(
            json.dumps({"architectures": ["Qwen2ForCausalLM"], "num_attention_heads": 14, "num_key_value_heads": 2})
        )
        status, output = run_to_exit("--tensor-parallel-size", "4", model=qwen, env={"CUDA_VISIBLE_DEVICES": "0,1,2,3"})
        self.assertEqual(1, status)
        self.assertIn("Total number of attention heads (14) must be divisible by tensor parallel size (4)", output)
        # 16 heads, 3 KV heads: 2 splits the heads but not the KV heads (nor does 2 replicate them evenly)
        config.write_text(
            json.dumps({"architectures": ["Qwen2ForCausalLM"], "num_attention_heads": 16, "num_key_value_heads": 3})
        )
        status, output = run_to_exit("--tensor-parallel-size", "2", model=qwen, env={"CUDA_VISIBLE_DEVICES": "0,1"})
        self.assertEqual(1, status)
        self.assertIn("num_key_value_heads (3)", output)
        config.write_text(
            json.dumps({"architectures": ["Qwen2ForCausalLM"], "num_attention_heads": 14, "num_key_value_heads": 2})
        )
        # more GPUs than the process sees: CUDA_VISIBLE_DEVICES, else the stand-in node's count
        status, output = run_to_exit("--tensor-parallel-size", "2", model=qwen, env={"CUDA_VISIBLE_DEVICES": "3"})
        self.assertEqual(1, status)
        self.assertIn("The number of required GPUs exceeds the total number of available GPUs", output)
        status, _ = run_to_exit("--tensor-parallel-size", "2", model=qwen, env={"FAKE_VLLM_GPU_COUNT": "1"})
        self.assertEqual(1, status)
        status, output = run_to_exit("--tensor-parallel-size", "0", model=qwen)
        self.assertEqual(1, status)
        self.assertIn("tensor_parallel_size must be >= 1", output)
        # two visible GPUs serve it with 2 (7 heads and 1 KV head per GPU)
        engine = self.engine("--tensor-parallel-size", "2", model=qwen, env={"CUDA_VISIBLE_DEVICES": "2,5"})
        self.assertIn("tensor parallel size 2 on CUDA_VISIBLE_DEVICES=2,5", engine.output())

    def test_max_cpu_loras_below_max_loras_exits_at_start(self):
        status, output = run_to_exit("--enable-lora", "--max-loras", "4", "--max-cpu-loras", "2")
        self.assertNotEqual(0, status)
        self.assertIn("max_cpu_loras (2) must be >= max_loras (4)", output)
        self.engine("--enable-lora", "--max-loras", "4", "--max-cpu-loras", "8")

    def test_enable_lora_on_an_architecture_without_lora_support_exits_at_start(self):
        bert = model_dir(self.dir, "bert", ["BertModel"])
        status, output = run_to_exit("--enable-lora", model=bert)
        self.assertEqual(1, status)
        self.assertIn("BertModel does not support LoRA yet", output)
        self.engine(model=bert)  # without --enable-lora it serves
        self.engine("--enable-lora", model=model_dir(self.dir, "qwen", ["Qwen2ForCausalLM"]))

    def test_lora_modules_take_the_json_form_with_any_path_and_the_old_name_equals_path_form(self):
        odd = adapter_dir(self.dir, "a=b,c", 8)
        plain = adapter_dir(self.dir, "plain", 8)
        engine = self.engine(
            "--enable-lora",
            "--lora-modules",
            json.dumps({"name": "ft-odd", "path": odd, "base_model_name": MODEL}),
            "ft-plain=" + plain,
        )
        cards = {c["id"]: c for c in json.loads(engine.request("GET", "/v1/models")[1])["data"]}
        self.assertEqual(odd, cards["ft-odd"]["root"])
        self.assertEqual(MODEL, cards["ft-odd"]["parent"])
        self.assertEqual(plain, cards["ft-plain"]["root"])
        # The old form cannot carry a path with '=': vLLM's parser fails on it.
        status, _ = run_to_exit("--enable-lora", "--lora-modules", "ft-odd=" + adapter_dir(self.dir, "x=y", 8))
        self.assertNotEqual(0, status)

    def test_runtime_adapters_live_in_memory_only_and_a_second_load_of_a_name_is_a_400(self):
        path = adapter_dir(self.dir, "ad", 8)
        engine = self.engine("--enable-lora", env=RUNTIME_LORA)
        load = {"lora_name": "ft-a", "lora_path": path}
        self.assertEqual(200, engine.request("POST", "/v1/load_lora_adapter", load)[0])
        status, body, _ = engine.request("POST", "/v1/load_lora_adapter", load)
        self.assertEqual(400, status)
        self.assertEqual(
            {
                "error": {
                    "message": "The lora adapter 'ft-a' has already been loaded.",
                    "type": "InvalidUserInput",
                    "param": None,
                    "code": 400,
                }
            },
            json.loads(body),
        )
        engine.close()
        restarted = self.engine("--enable-lora", env=RUNTIME_LORA)
        ids = [c["id"] for c in json.loads(restarted.request("GET", "/v1/models")[1])["data"]]
        self.assertEqual([MODEL], ids)

    def test_an_adapter_above_the_engines_rank_is_refused_with_vllms_error_shape(self):
        engine = self.engine("--enable-lora", "--max-lora-rank", "64", env=RUNTIME_LORA)
        status, body, _ = engine.request(
            "POST", "/v1/load_lora_adapter", {"lora_name": "big", "lora_path": adapter_dir(self.dir, "big", 96)}
        )
        self.assertEqual(400, status)
        self.assertEqual({"message", "type", "param", "code"}, set(json.loads(body)["error"]))
        engine128 = self.engine("--enable-lora", "--max-lora-rank", "128", env=RUNTIME_LORA)
        status, body, _ = engine128.request(
            "POST", "/v1/load_lora_adapter", {"lora_name": "big", "lora_path": adapter_dir(self.dir, "big2", 96)}
        )
        self.assertEqual(200, status, body)

    def test_errors_have_vllms_shape(self):
        engine = self.engine()
        status, body, _ = engine.request("POST", "/v1/chat/completions", {**CHAT, "model": "nope"})
        self.assertEqual(404, status)
        self.assertEqual(
            {"message": "The model `nope` does not exist.", "type": "NotFoundError", "param": None, "code": 404},
            json.loads(body)["error"],
        )

    def test_chat_completions_are_a_400_for_a_model_without_a_chat_template_and_completions_work(self):
        base = model_dir(self.dir, "base", ["Qwen2ForCausalLM"], tokenizer={"model_max_length": 512})
        engine = self.engine(model=base)
        status, body, _ = engine.request("POST", "/v1/chat/completions", {**CHAT, "model": base})
        self.assertEqual(400, status)
        self.assertIn("chat template", json.loads(body)["error"]["message"])
        self.assertEqual(200, engine.request("POST", "/v1/completions", {"model": base, "prompt": "x"})[0])
        templated = model_dir(self.dir, "chat", ["Qwen2ForCausalLM"], tokenizer={"chat_template": "{{ messages }}"})
        self.assertEqual(
            200, self.engine(model=templated).request("POST", "/v1/chat/completions", {**CHAT, "model": templated})[0]
        )

    def test_with_max_loras_1_a_request_to_a_second_adapter_waits_for_the_first_to_finish(self):
        for max_loras, b_waits in (("1", True), ("2", False)):
            with self.subTest(max_loras=max_loras):
                engine = self.engine(
                    "--enable-lora",
                    "--max-loras",
                    max_loras,
                    "--lora-modules",
                    "ft-a=" + adapter_dir(self.dir, "a" + max_loras, 8),
                    "ft-b=" + adapter_dir(self.dir, "b" + max_loras, 8),
                    env={"FAKE_VLLM_TOKEN_DELAY": "0.3"},
                )
                finished = {}

                def generate(name, stream):
                    body = {"model": name, "messages": [{"role": "user", "content": "one two three"}]}
                    engine.request("POST", "/v1/chat/completions", {**body, "stream": stream})
                    finished[name] = time.monotonic()

                first = threading.Thread(target=generate, args=("ft-a", True))
                first.start()
                time.sleep(0.6)  # ft-a holds its slot by now, even on a loaded machine
                generate("ft-b", False)  # not streamed: answers at once when it gets a slot
                first.join()
                # ft-a streams for about 1.5 s; with one adapter slot ft-b is only answered after it.
                self.assertEqual(b_waits, finished["ft-b"] >= finished["ft-a"])


def statuses(engine, model, count, stream=False):
    """The HTTP statuses of `count` chat completions of `model`, one after the other."""
    body = {**CHAT, "model": model, "stream": stream}
    return [engine.request("POST", "/v1/chat/completions", body)[0] for _ in range(count)]


def seeded_failures(seed, ratio, count):
    """Which of `count` generations a fault with this seed and ratio fails (the stand-in's draw, redone here)."""
    draws = random.Random(seed)
    return [draws.random() < ratio for _ in range(count)]


class FaultsTest(unittest.TestCase):
    """Test-only fault injection for one served name: a seeded share of 500s and a delay before the first token, set
    at runtime through /_fake/faults or at start through FAKE_VLLM_FAULTS, never visible in vLLM's own API."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", self.dir]))

    def engine(self, *args, env=None):
        engine = Engine(*args, env=env)
        self.addCleanup(engine.close)
        return engine

    def lora_engine(self, env=None):
        folder = tempfile.mkdtemp(dir=self.dir)
        return self.engine(
            "--enable-lora",
            "--max-loras",
            "2",
            "--lora-modules",
            "ft-a=" + adapter_dir(folder, "a", 8),
            "ft-b=" + adapter_dir(folder, "b", 8),
            env={"FAKE_VLLM_TOKEN_DELAY": "0", **(env or {})},
        )

    def test_a_fail_ratio_fails_that_seeded_share_of_one_adapters_generations_in_vllms_error_shape(self):
        engine = self.lora_engine()
        status, body, _ = engine.request("POST", "/_fake/faults", {"model": "ft-a", "fail_ratio": 0.5, "seed": 7})
        self.assertEqual(200, status, body)
        self.assertEqual(
            {"model": "ft-a", "fail_ratio": 0.5, "ttft_ms": 0.0, "seed": 7, "requests": 0, "failed": 0},
            json.loads(body)["fault"],
        )

        got = statuses(engine, "ft-a", 100) + statuses(engine, "ft-a", 20, stream=True)
        expected = [500 if fail else 200 for fail in seeded_failures(7, 0.5, 120)]
        self.assertEqual(expected, got)
        self.assertTrue(35 <= got.count(500) <= 85, got.count(500))
        # The other adapter and the base model are untouched.
        self.assertEqual([200] * 30, statuses(engine, "ft-b", 30))
        self.assertEqual([200] * 30, statuses(engine, MODEL, 30))

        answers = [engine.request("POST", "/v1/chat/completions", {**CHAT, "model": "ft-a"}) for _ in range(10)]
        status, body, content_type = next(a for a in answers if a[0] == 500)
        self.assertEqual("application/json", content_type)
        error = json.loads(body)["error"]
        self.assertEqual({"message", "type", "param", "code"}, set(error))
        self.assertEqual((500, "InternalServerError"), (error["code"], error["type"]))
        self.assertIn("ft-a", error["message"])

        faults = json.loads(engine.request("GET", "/_fake/faults")[1])["faults"]
        self.assertEqual(1, len(faults))
        self.assertEqual("ft-a", faults[0]["model"])
        self.assertEqual((130, seeded_failures(7, 0.5, 130).count(True)), (faults[0]["requests"], faults[0]["failed"]))
        # Never part of vLLM's API: the models list is unchanged.
        ids = [card["id"] for card in json.loads(engine.request("GET", "/v1/models")[1])["data"]]
        self.assertEqual([MODEL, "ft-a", "ft-b"], ids)

    def test_setting_a_fault_again_restarts_its_seeded_sequence_and_zeros_clear_it(self):
        engine = self.lora_engine()
        fault = {"model": MODEL, "fail_ratio": 0.3, "seed": 42}
        engine.request("POST", "/_fake/faults", fault)
        first = statuses(engine, MODEL, 40)
        engine.request("POST", "/_fake/faults", fault)
        self.assertEqual(first, statuses(engine, MODEL, 40))
        self.assertIn(500, first)

        status, body, _ = engine.request("POST", "/_fake/faults", {"model": MODEL, "fail_ratio": 0, "ttft_ms": 0})
        self.assertEqual((200, None, []), (status, json.loads(body)["fault"], json.loads(body)["faults"]))
        self.assertEqual([200] * 20, statuses(engine, MODEL, 20))

        engine.request("POST", "/_fake/faults", {"model": "ft-a", "fail_ratio": 1})
        engine.request("POST", "/_fake/faults", {"model": "ft-b", "fail_ratio": 1})
        status, body, _ = engine.request("DELETE", "/_fake/faults")
        self.assertEqual((200, {"faults": []}), (status, json.loads(body)))
        self.assertEqual([200] * 10, statuses(engine, "ft-a", 5) + statuses(engine, "ft-b", 5))

    def test_ttft_ms_delays_the_first_token_of_that_name_only(self):
        engine = self.lora_engine()
        engine.request("POST", "/_fake/faults", {"model": "ft-b", "ttft_ms": 1500})

        def first_chunk_after(model):
            connection = http.client.HTTPConnection("127.0.0.1", engine.port, timeout=10)
            try:
                started = time.monotonic()
                body = json.dumps({**CHAT, "model": model, "stream": True})
                connection.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
                response = connection.getresponse()
                self.assertEqual(200, response.status)
                self.assertTrue(response.readline())
                elapsed = time.monotonic() - started
                response.read()
                return elapsed
            finally:
                connection.close()

        self.assertGreaterEqual(first_chunk_after("ft-b"), 1.5)
        self.assertLess(first_chunk_after("ft-a"), 1.5)
        started = time.monotonic()
        self.assertEqual([200], statuses(engine, "ft-b", 1))
        self.assertGreaterEqual(time.monotonic() - started, 1.5)

    def test_fake_vllm_faults_sets_faults_at_start_and_a_bad_value_exits_like_a_bad_argument(self):
        faults = [{"model": "ft-a", "fail_ratio": 1}, {"model": MODEL, "fail_ratio": 0.5, "seed": 3}]
        engine = self.lora_engine(env={"FAKE_VLLM_FAULTS": json.dumps(faults)})
        self.assertEqual([500] * 10, statuses(engine, "ft-a", 10))
        self.assertEqual([500 if f else 200 for f in seeded_failures(3, 0.5, 30)], statuses(engine, MODEL, 30))
        self.assertEqual([200] * 10, statuses(engine, "ft-b", 10))
        single = self.lora_engine(env={"FAKE_VLLM_FAULTS": json.dumps({"model": "ft-b", "fail_ratio": 1})})
        self.assertEqual([500] * 3, statuses(single, "ft-b", 3))

        for bad in ("{not json", '{"model": "m", "fail_ratio": 2}', '{"fail_ratio": 0.5}', '[{"model": "m", "x": 1}]'):
            with self.subTest(bad=bad):
                status, output = run_to_exit(env={"FAKE_VLLM_FAULTS": bad})
                self.assertEqual(2, status, output)
                self.assertIn("FAKE_VLLM_FAULTS" if bad.startswith("{not") else "'", output)

    def test_the_admin_route_is_checked_like_v1_validates_its_body_and_can_be_switched_off(self):
        keyed = self.engine(env={"VLLM_API_KEY": "k-1"})
        self.assertEqual(401, keyed.request("POST", "/_fake/faults", {"model": MODEL, "fail_ratio": 1})[0])
        self.assertEqual(401, keyed.request("GET", "/_fake/faults")[0])
        auth = {"Authorization": "Bearer k-1"}
        self.assertEqual(200, keyed.request("POST", "/_fake/faults", {"model": MODEL, "fail_ratio": 1}, auth)[0])

        engine = self.engine()
        bad_bodies = (
            {"fail_ratio": 0.5},
            {"model": "", "fail_ratio": 0.5},
            {"model": "m", "fail_ratio": -0.1},
            {"model": "m", "ttft_ms": 600001},
            {"model": "m", "seed": "x"},
            {"model": "m", "other": 1},
            [],
        )
        for bad in bad_bodies:
            with self.subTest(bad=bad):
                status, body, _ = engine.request("POST", "/_fake/faults", bad)
                self.assertEqual(400, status, body)
                self.assertEqual(400, json.loads(body)["error"]["code"])
        for i in range(64):
            self.assertEqual(200, engine.request("POST", "/_fake/faults", {"model": f"m{i}", "ttft_ms": 1})[0])
        self.assertEqual(400, engine.request("POST", "/_fake/faults", {"model": "one-more", "ttft_ms": 1})[0])
        self.assertEqual(200, engine.request("POST", "/_fake/faults", {"model": "m0", "ttft_ms": 2})[0])

        off = self.engine(env={"FAKE_VLLM_ADMIN": "off"})
        self.assertEqual(404, off.request("POST", "/_fake/faults", {"model": MODEL, "fail_ratio": 1})[0])
        self.assertEqual(404, off.request("GET", "/_fake/faults")[0])
        self.assertEqual(404, off.request("DELETE", "/_fake/faults")[0])
        self.assertEqual(200, off.request("POST", "/v1/chat/completions", CHAT)[0])


if __name__ == "__main__":
    unittest.main()
