"""The stand-in vLLM checks API keys exactly like vLLM's AuthenticationMiddleware (vllm/entrypoints/openai):
with `--api-key` (or, without it, `VLLM_API_KEY`) every path starting with /v1 needs `Authorization: Bearer KEY`
(scheme case-insensitive), else 401 `{"error": "Unauthorized"}`; /health, /metrics, /ping and /version stay open."""

import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
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

    def __init__(self, *args, env=None):
        self.port = free_port()
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("FAKE_VLLM_", "VLLM_"))}
        environment.update(env or {})
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, str(SCRIPT), "serve", MODEL, "--host", "127.0.0.1", "--port", str(self.port), *args],
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


if __name__ == "__main__":
    unittest.main()
