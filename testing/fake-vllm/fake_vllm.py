#!/usr/bin/env python3
"""A stand-in for `vllm serve` that speaks vLLM's OpenAI-compatible HTTP API without a GPU.

Same command line as vLLM (`fake_vllm.py serve MODEL --host H --port P --served-model-name NAME
[--enable-lora] [--max-lora-rank N] [--max-loras N] [--max-cpu-loras N] [--lora-modules JSON|name=path ...]
[--api-key KEY ...]`), same routes,
same error shapes, same API-key check (VLLM_API_KEY when --api-key is not given). Every answer names the model that produced it ("[<model>] ...") so a test can see
which backend and which adapter served a request.

Behaviour knobs (environment, overridden per model by `<model dir>/fake_vllm.json` with the keys
`startup_delay`, `token_delay`, `fail`):
  FAKE_VLLM_STARTUP_DELAY  seconds before /health answers 200 (503 until then)
  FAKE_VLLM_TOKEN_DELAY    seconds between streamed tokens (default 0.02)
  FAKE_VLLM_FAIL           exit_on_start | never_ready | smoke_fail | crash_after:N
A model path containing "broken-model" fails at start like a model vLLM cannot load.

Test-only fault injection for ONE served name (base or adapter), never part of vLLM's API: FAKE_VLLM_FAULTS (JSON, one
{"model", "fail_ratio", "ttft_ms", "seed"} or a list of them) at start, and at runtime GET/POST/DELETE /_fake/faults
(same API-key check as /v1; FAKE_VLLM_ADMIN=off answers 404). fail_ratio: that share of the name's generations answers
500 in vLLM's error shape (seeded, so a run repeats); ttft_ms: added before the first token.

vLLM's rules it enforces (v0.11; chat-switch-service DESIGN.md "vLLM's rules" names the sources):
  --max-lora-rank only 8, 16, 32, 64, 128, 256, 320, 512 (else exit at start); --max-loras default 1 (requests to
  more distinct adapters wait for a slot); --max-cpu-loras >= --max-loras (else exit); --enable-lora on an
  architecture without LoRA support exits; --lora-modules in the JSON form or the old name=path form; runtime-loaded
  adapters live in memory only; loading a loaded name is a 400; chat completions are a 400 for a model without a
  chat template; error bodies are {"error": {"message", "type", "param", "code"}}.
  --tensor-parallel-size N (>= 1): the model's num_attention_heads must be divisible by N (ModelConfig
  .verify_with_parallel_config), its num_key_value_heads divisible by N or N by it (the attention layers'
  assertion), and N no more than the GPUs the process sees (CUDA_VISIBLE_DEVICES, else FAKE_VLLM_GPU_COUNT,
  default 1): v0.11 then falls back to its Ray executor, whose placement group cannot hold N GPUs. Each refusal
  exits at start with vLLM's message.
"""

import argparse
import hashlib
import hmac
import json
import os
import random
import signal
import sys
import threading
import time
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


# vLLM v0.11's accepted --max-lora-rank values (vllm/config/lora.py).
LORA_RANKS = (8, 16, 32, 64, 128, 256, 320, 512)

# Architectures the stand-in serves LoRA adapters on (a subset of vLLM's SupportsLoRA model classes). A model folder
# whose config.json lists only other architectures makes --enable-lora exit at start, as vLLM does.
LORA_ARCHITECTURES = {
    "LlamaForCausalLM",
    "MistralForCausalLM",
    "MixtralForCausalLM",
    "Qwen2ForCausalLM",
    "Qwen3ForCausalLM",
    "Qwen2MoeForCausalLM",
    "Qwen3MoeForCausalLM",
    "GemmaForCausalLM",
    "Gemma2ForCausalLM",
    "Gemma3ForCausalLM",
    "PhiForCausalLM",
    "Phi3ForCausalLM",
}

NO_CHAT_TEMPLATE = (
    "As of transformers v4.44, default chat template is no longer allowed, so you must provide a chat template if "
    "the tokenizer does not define one."
)


# Fault injection (test-only): at most this many served names carry faults, and these bounds hold per name.
MAX_FAULTS = 64
MAX_TTFT_MS = 600_000
ADMIN_PATH = "/_fake/faults"


def log(message):
    print(f"INFO {time.strftime('%m-%d %H:%M:%S')} [fake_vllm] {message}", flush=True)


class LoraModulesAction(argparse.Action):
    """vLLM's --lora-modules: `name=path` when the item has a `=` and no `,`, else a JSON object
    {"name", "path", "base_model_name"?}; answers a list of (name, path, base_model_name)."""

    def __call__(self, parser, namespace, values, option_string=None):
        modules = []
        for item in values or []:
            if not item:
                continue
            if "=" in item and "," not in item:
                parts = item.split("=")
                if len(parts) != 2:
                    parser.error(f"Invalid --lora-modules item (name=path with a second '='): {item}")
                modules.append((parts[0], parts[1], None))
                continue
            try:
                spec = json.loads(item)
            except json.JSONDecodeError:
                parser.error(f"Invalid JSON format for --lora-modules: {item}")
            if (
                not isinstance(spec, dict)
                or set(spec) - {"name", "path", "base_model_name"}
                or not ("name" in spec and "path" in spec)
            ):
                parser.error(f"Invalid fields for --lora-modules: {item}")
            modules.append((spec["name"], spec["path"], spec.get("base_model_name")))
        setattr(namespace, self.dest, modules)


def parse_args(argv):
    if argv and argv[0] == "serve":
        argv = argv[1:]
    parser = argparse.ArgumentParser(prog="vllm serve", description=__doc__.splitlines()[0])
    parser.add_argument("model_tag", nargs="?", help="the model to serve (positional, like `vllm serve MODEL`)")
    parser.add_argument("--model", help="the model to serve (like the api_server entrypoint)")
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--served-model-name", nargs="+")
    parser.add_argument("--enable-lora", action="store_true")
    parser.add_argument("--max-lora-rank", type=int, default=16, choices=LORA_RANKS)
    parser.add_argument("--max-loras", type=int, default=1)
    parser.add_argument("--max-cpu-loras", type=int)
    parser.add_argument("--lora-modules", nargs="+", default=[], action=LoraModulesAction)
    parser.add_argument(
        "--api-key", nargs="+", help="keys of which requests to /v1 must present one (else VLLM_API_KEY)"
    )
    parser.add_argument("--gpu-memory-utilization", type=float, default=0.9)
    parser.add_argument("--max-model-len", type=int, default=4096)
    parser.add_argument("--dtype", default="auto")
    parser.add_argument("--tensor-parallel-size", type=int, default=1)
    parser.add_argument("--trust-remote-code", action="store_true")
    parser.add_argument("--download-dir")
    parser.add_argument("--disable-log-requests", action="store_true")
    args = parser.parse_args(argv)
    args.model = args.model or args.model_tag
    if not args.model:
        parser.error("a model is required")
    args.served_model_name = (args.served_model_name or [args.model])[0]
    if args.max_loras < 1:
        parser.error(f"max_loras ({args.max_loras}) must be >= 1")
    if args.max_cpu_loras is None:
        args.max_cpu_loras = args.max_loras
    elif args.max_cpu_loras < args.max_loras:
        parser.error(f"max_cpu_loras ({args.max_cpu_loras}) must be >= max_loras ({args.max_loras})")
    # Like vLLM's build_app: --api-key wins over VLLM_API_KEY; empty keys do not count.
    args.api_keys = [key for key in (args.api_key or [os.environ.get("VLLM_API_KEY")]) if key]
    return args


def load_overrides(model):
    """Per-model behaviour from <model>/fake_vllm.json, falling back to the environment."""
    settings = {
        "startup_delay": float(os.environ.get("FAKE_VLLM_STARTUP_DELAY", "0")),
        "token_delay": float(os.environ.get("FAKE_VLLM_TOKEN_DELAY", "0.02")),
        "fail": os.environ.get("FAKE_VLLM_FAIL", ""),
    }
    path = os.path.join(model, "fake_vllm.json")
    if os.path.isabs(model) and os.path.isfile(path):
        with open(path, encoding="utf-8") as f:
            settings.update(json.load(f))
    return settings


def model_json(model, name):
    """A JSON file of a local model folder, or None (hub ids and missing files)."""
    path = os.path.join(model, name)
    if not (os.path.isabs(model) and os.path.isfile(path)):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def lora_unsupported(model):
    """The architectures of a local model without LoRA support, or None (supported, or not a local folder)."""
    config = model_json(model, "config.json") or {}
    architectures = config.get("architectures") or []
    if architectures and not any(a in LORA_ARCHITECTURES for a in architectures):
        return architectures
    return None


def has_chat_template(model):
    """False for a local model whose tokenizer_config.json has no chat_template (and no chat_template.jinja)."""
    tokenizer = model_json(model, "tokenizer_config.json")
    if tokenizer is None:
        return True
    return bool(tokenizer.get("chat_template")) or os.path.isfile(os.path.join(model, "chat_template.jinja"))


def visible_gpus():
    """GPUs this process would see: CUDA_VISIBLE_DEVICES when set (an empty value hides all), else the stand-in
    node's FAKE_VLLM_GPU_COUNT (default 1)."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return len([d for d in visible.split(",") if d.strip()])
    return int(os.environ.get("FAKE_VLLM_GPU_COUNT", "1"))


def tensor_parallel_error(model, size):
    """vLLM v0.11's refusal of --tensor-parallel-size `size` for `model`, or None when it starts."""
    if size < 1:
        return f"ValueError: tensor_parallel_size must be >= 1, was {size}"
    config = model_json(model, "config.json") or {}
    heads = config.get("num_attention_heads")
    if heads and heads % size != 0:
        # vllm/config/model.py, ModelConfig.verify_with_parallel_config
        return (
            f"ValueError: Total number of attention heads ({heads}) must be divisible by tensor parallel "
            f"size ({size})."
        )
    kv_heads = config.get("num_key_value_heads")
    if kv_heads and (kv_heads % size != 0 if kv_heads >= size else size % kv_heads != 0):
        # the attention layers (e.g. vllm/model_executor/models/qwen2.py): KV heads are split or replicated
        return f"AssertionError: num_key_value_heads ({kv_heads}) and tensor parallel size ({size}) do not divide"
    gpus = visible_gpus()
    if size > gpus:
        # vllm/config/parallel.py: world size above the node's GPU count selects the Ray executor, whose placement
        # group then cannot be made (ray_utils.initialize_ray_cluster)
        return (
            "ValueError: The number of required GPUs exceeds the total number of available GPUs in the "
            f"placement group. (world size {size}, {gpus} visible)"
        )
    return None


def admin_enabled():
    """The test-only /_fake/ routes answer unless FAKE_VLLM_ADMIN switches them off."""
    return os.environ.get("FAKE_VLLM_ADMIN", "").strip().lower() not in ("0", "off", "false", "no")


def env_true(name):
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")


def read_adapter_rank(path):
    with open(os.path.join(path, "adapter_config.json"), encoding="utf-8") as f:
        return int(json.load(f).get("r", 8))


class Faults:
    """Test-only faults per served model name: a share of generations answered 500 (drawn from a seeded generator, so
    the same requests fail in every run) and a delay before the first token. Set from FAKE_VLLM_FAULTS at start and
    through /_fake/faults at runtime; never part of vLLM's API."""

    def __init__(self):
        self.lock = threading.Lock()
        self.by_model = {}  # served name -> {"spec": dict, "random": Random, "requests": n, "failed": n}

    @staticmethod
    def parse(spec):
        """A validated {"model", "fail_ratio", "ttft_ms", "seed"}; ValueError says what is wrong."""
        if not isinstance(spec, dict):
            raise ValueError("a fault is a JSON object")
        unknown = set(spec) - {"model", "fail_ratio", "ttft_ms", "seed"}
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        model = spec.get("model")
        if not isinstance(model, str) or not model or len(model) > 512:
            raise ValueError("'model' must be a served model name (1-512 characters)")
        ratio = spec.get("fail_ratio", 0)
        ttft = spec.get("ttft_ms", 0)
        seed = spec.get("seed", 0)
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 <= ratio <= 1:
            raise ValueError("'fail_ratio' must be a number from 0 to 1")
        if isinstance(ttft, bool) or not isinstance(ttft, (int, float)) or not 0 <= ttft <= MAX_TTFT_MS:
            raise ValueError(f"'ttft_ms' must be a number from 0 to {MAX_TTFT_MS}")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError("'seed' must be an integer")
        return {"model": model, "fail_ratio": float(ratio), "ttft_ms": float(ttft), "seed": seed}

    def set(self, spec):
        """Sets (or, with fail_ratio and ttft_ms both 0, clears) the faults of one name; answers its view or None."""
        spec = self.parse(spec)
        with self.lock:
            if not spec["fail_ratio"] and not spec["ttft_ms"]:
                self.by_model.pop(spec["model"], None)
                return None
            if spec["model"] not in self.by_model and len(self.by_model) >= MAX_FAULTS:
                raise ValueError(f"at most {MAX_FAULTS} names carry faults")
            self.by_model[spec["model"]] = {
                "spec": spec,
                "random": random.Random(spec["seed"]),
                "requests": 0,
                "failed": 0,
            }
            return self._view(spec["model"])

    def clear(self):
        with self.lock:
            self.by_model.clear()

    def _view(self, model):
        entry = self.by_model[model]
        return dict(entry["spec"], requests=entry["requests"], failed=entry["failed"])

    def views(self):
        with self.lock:
            return [self._view(model) for model in sorted(self.by_model)]

    def draw(self, model):
        """(seconds to wait before the first token, whether this generation fails) for one generation of `model`."""
        with self.lock:
            entry = self.by_model.get(model)
            if entry is None:
                return 0.0, False
            entry["requests"] += 1
            fail = entry["random"].random() < entry["spec"]["fail_ratio"]
            if fail:
                entry["failed"] += 1
            return entry["spec"]["ttft_ms"] / 1000.0, fail


def faults_from_env():
    """FAKE_VLLM_FAULTS: one fault object or a list of them (JSON); ValueError when it is not valid."""
    faults = Faults()
    raw = os.environ.get("FAKE_VLLM_FAULTS", "").strip()
    if raw:
        try:
            specs = json.loads(raw)
        except json.JSONDecodeError as e:
            raise ValueError(f"FAKE_VLLM_FAULTS is not JSON: {e}") from None
        for spec in specs if isinstance(specs, list) else [specs]:
            faults.set(spec)
    return faults


class ModelServer:
    """What the engine holds: the base model, the loaded adapters, counters."""

    def __init__(self, args, settings, faults=None):
        self.args = args
        self.settings = settings
        self.faults = faults or Faults()
        self.started = time.time()
        self.ready_at = self.started + float(settings["startup_delay"])
        self.lock = threading.Lock()
        self.adapters = {}  # name -> path, in memory only (gone with the process, as in vLLM)
        self.parents = {}  # name -> base_model_name given with --lora-modules
        self.generations = 0
        self.running = 0
        self.slots = threading.Condition(self.lock)
        self.active_adapters = {}  # adapter name -> generations running with it (at most --max-loras names)
        self.chat_template = has_chat_template(args.model)
        self.token_hashes = [hashlib.sha256(key.encode("utf-8")).digest() for key in args.api_keys]
        fail = str(settings.get("fail") or "")
        self.never_ready = fail == "never_ready"
        self.smoke_fail = fail == "smoke_fail"
        self.crash_after = int(fail.split(":", 1)[1]) if fail.startswith("crash_after:") else None

    def ready(self):
        return not self.never_ready and time.time() >= self.ready_at

    def load_adapter(self, name, path, base_model_name=None):
        if not self.args.enable_lora:
            return error(
                HTTPStatus.BAD_REQUEST, "LoRA is not enabled. Use --enable-lora to enable LoRA.", "BadRequestError"
            )
        if not name or not path:
            return error(
                HTTPStatus.BAD_REQUEST, "Both 'lora_name' and 'lora_path' must be provided.", "InvalidUserInput"
            )
        with self.lock:
            if name in self.adapters:
                return error(
                    HTTPStatus.BAD_REQUEST, f"The lora adapter '{name}' has already been loaded.", "InvalidUserInput"
                )
        if not os.path.isfile(os.path.join(path, "adapter_config.json")):
            return error(HTTPStatus.NOT_FOUND, f"No adapter found for {path}", "NotFoundError")
        rank = read_adapter_rank(path)
        if rank > self.args.max_lora_rank:
            return error(
                HTTPStatus.BAD_REQUEST,
                f"LoRA rank {rank} is greater than max_lora_rank {self.args.max_lora_rank}.",
                "BadRequestError",
            )
        with self.lock:
            self.adapters[name] = path
            if base_model_name == self.args.served_model_name:
                self.parents[name] = base_model_name
        log(f"Loaded new LoRA adapter: name '{name}', path '{path}'")
        return HTTPStatus.OK, "text/plain", f"Success: LoRA adapter '{name}' added successfully."

    def unload_adapter(self, name):
        with self.lock:
            if not name or name not in self.adapters:
                return error(HTTPStatus.NOT_FOUND, f"The lora adapter '{name}' cannot be found.", "NotFoundError")
            del self.adapters[name]
            self.parents.pop(name, None)
        log(f"Removed LoRA adapter: name '{name}'")
        return HTTPStatus.OK, "text/plain", f"Success: LoRA adapter '{name}' removed successfully."

    def model_cards(self):
        created = int(self.started)
        cards = [
            {
                "id": self.args.served_model_name,
                "object": "model",
                "created": created,
                "owned_by": "vllm",
                "root": self.args.model,
                "parent": None,
                "max_model_len": self.args.max_model_len,
                "permission": [{"id": "modelperm-fake", "object": "model_permission"}],
            }
        ]
        with self.lock:
            for name, path in self.adapters.items():
                cards.append(
                    {
                        "id": name,
                        "object": "model",
                        "created": created,
                        "owned_by": "vllm",
                        "root": path,
                        "parent": self.parents.get(name, self.args.served_model_name),
                        "max_model_len": None,
                        "permission": [{"id": "modelperm-fake", "object": "model_permission"}],
                    }
                )
        return cards

    def knows(self, model):
        with self.lock:
            return model == self.args.served_model_name or model in self.adapters

    def begin_generation(self, model=None):
        """Counts a generation in; one with an adapter waits (like vLLM's scheduler) while --max-loras other
        adapters are in the running batch."""
        with self.lock:
            if model in self.adapters:
                self.slots.wait_for(
                    lambda: model in self.active_adapters or len(self.active_adapters) < self.args.max_loras
                )
                self.active_adapters[model] = self.active_adapters.get(model, 0) + 1
            self.generations += 1
            self.running += 1
            return self.generations

    def end_generation(self, number, model=None):
        with self.lock:
            self.running -= 1
            if model in self.active_adapters:
                self.active_adapters[model] -= 1
                if not self.active_adapters[model]:
                    del self.active_adapters[model]
                    self.slots.notify_all()
        if self.crash_after is not None and number >= self.crash_after:
            log(f"simulated crash after {number} generations")
            os._exit(70)


def error(status, message, err_type):
    """vLLM v0.11's ErrorResponse: {"error": {"message", "type", "param", "code"}} (code = the HTTP status)."""
    body = {"error": {"message": message, "type": err_type, "param": None, "code": int(status)}}
    return status, "application/json", json.dumps(body)


def tokens_for(model, messages_or_prompt, max_tokens):
    if isinstance(messages_or_prompt, list):
        user = [m.get("content", "") for m in messages_or_prompt if m.get("role") == "user"]
        prompt = user[-1] if user else ""
        if isinstance(prompt, list):
            prompt = " ".join(part.get("text", "") for part in prompt if isinstance(part, dict))
    else:
        prompt = messages_or_prompt if isinstance(messages_or_prompt, str) else json.dumps(messages_or_prompt)
    words = [f"[{model}]"] + f"you said: {prompt}".split()
    limit = max(1, int(max_tokens)) if max_tokens is not None else 64
    words = words[:limit]
    return [w if i == 0 else " " + w for i, w in enumerate(words)], len(prompt.split())


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-vllm"
    engine: ModelServer = None

    def log_message(self, fmt, *args):
        pass

    # -- plumbing ---------------------------------------------------------------------------------
    def send(self, status, content_type, body):
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def send_json(self, status, value):
        self.send(status, "application/json", json.dumps(value))

    def read_json(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw or b"{}")
        except json.JSONDecodeError as e:
            self.send(*error(HTTPStatus.BAD_REQUEST, f"invalid JSON: {e}", "BadRequestError"))
            return None

    def authenticated(self):
        """vLLM's AuthenticationMiddleware: with API keys set, every path that starts with /v1 (OPTIONS aside) needs
        `Authorization: Bearer <one of the keys>` (scheme case-insensitive, token compared in constant time);
        otherwise 401 `{"error": "Unauthorized"}`. Other paths (/health, /metrics, /ping, /version) stay open."""
        tokens = self.engine.token_hashes
        path = self.path.split("?", 1)[0]
        if not tokens or self.command == "OPTIONS" or not (path.startswith("/v1") or path.startswith("/_fake/")):
            return True
        scheme, _, param = (self.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() == "bearer":
            presented = hashlib.sha256(param.encode("utf-8")).digest()
            match = False
            for token in tokens:
                match |= hmac.compare_digest(presented, token)
            if match:
                return True
        self.discard_body()
        self.send_json(HTTPStatus.UNAUTHORIZED, {"error": "Unauthorized"})
        return False

    def discard_body(self):
        """Reads an unread request body away so the kept-alive connection stays in step (a large one closes it)."""
        length = int(self.headers.get("Content-Length") or 0)
        if length > 1 << 20:
            self.close_connection = True
        elif length:
            self.rfile.read(length)

    def chunk(self, text):
        data = text.encode("utf-8")
        self.wfile.write(f"{len(data):X}\r\n".encode("ascii") + data + b"\r\n")
        self.wfile.flush()

    # -- routes -----------------------------------------------------------------------------------
    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if not self.authenticated():
            return
        if path == "/health":
            if self.engine.ready():
                self.send(HTTPStatus.OK, "application/json", "")
            else:
                self.send_json(HTTPStatus.SERVICE_UNAVAILABLE, {"detail": "engine is starting"})
        elif path == "/ping":
            self.send(HTTPStatus.OK if self.engine.ready() else HTTPStatus.SERVICE_UNAVAILABLE, "application/json", "")
        elif path == "/version":
            self.send_json(HTTPStatus.OK, {"version": "0.0.0+fake"})
        elif path == "/metrics":
            name = self.engine.args.served_model_name
            with self.engine.lock:
                running = self.engine.running
            text = (
                "# TYPE vllm:num_requests_running gauge\n"
                f'vllm:num_requests_running{{model_name="{name}"}} {running}\n'
                "# TYPE vllm:num_requests_waiting gauge\n"
                f'vllm:num_requests_waiting{{model_name="{name}"}} 0\n'
            )
            self.send(HTTPStatus.OK, "text/plain; version=0.0.4", text)
        elif path == "/v1/models":
            self.send_json(HTTPStatus.OK, {"object": "list", "data": self.engine.model_cards()})
        elif path == ADMIN_PATH and admin_enabled():
            self.send_json(HTTPStatus.OK, {"faults": self.engine.faults.views()})
        else:
            self.send_json(HTTPStatus.NOT_FOUND, {"detail": "Not Found"})

    def do_POST(self):
        path = self.path.split("?", 1)[0]
        if not self.authenticated():
            return
        if path in ("/v1/chat/completions", "/v1/completions"):
            body = self.read_json()
            if body is not None:
                self.generate(body, chat=path == "/v1/chat/completions")
        elif path == ADMIN_PATH and admin_enabled():
            body = self.read_json()
            if body is None:
                return
            try:
                fault = self.engine.faults.set(body)
            except ValueError as e:
                self.send(*error(HTTPStatus.BAD_REQUEST, str(e), "BadRequestError"))
                return
            log(f"test-only faults of {body['model']!r}: {fault}")
            self.send_json(HTTPStatus.OK, {"fault": fault, "faults": self.engine.faults.views()})
        elif path in ("/v1/load_lora_adapter", "/v1/unload_lora_adapter") and env_true(
            "VLLM_ALLOW_RUNTIME_LORA_UPDATING"
        ):
            body = self.read_json()
            if body is None:
                return
            if path == "/v1/load_lora_adapter":
                self.send(*self.engine.load_adapter(body.get("lora_name"), body.get("lora_path")))
            else:
                self.send(*self.engine.unload_adapter(body.get("lora_name")))
        else:
            self.send_json(HTTPStatus.NOT_FOUND, {"detail": "Not Found"})

    def do_DELETE(self):
        path = self.path.split("?", 1)[0]
        if not self.authenticated():
            return
        if path == ADMIN_PATH and admin_enabled():
            self.engine.faults.clear()
            log("test-only faults cleared")
            self.send_json(HTTPStatus.OK, {"faults": []})
        else:
            self.discard_body()
            self.send_json(HTTPStatus.NOT_FOUND, {"detail": "Not Found"})

    def generate(self, body, chat):
        engine = self.engine
        model = body.get("model") or engine.args.served_model_name
        if not engine.ready():
            self.send(*error(HTTPStatus.SERVICE_UNAVAILABLE, "engine is starting", "ServiceUnavailableError"))
            return
        if not engine.knows(model):
            self.send(*error(HTTPStatus.NOT_FOUND, f"The model `{model}` does not exist.", "NotFoundError"))
            return
        if chat and not isinstance(body.get("messages"), list):
            self.send(*error(HTTPStatus.BAD_REQUEST, "'messages' must be a list", "BadRequestError"))
            return
        if chat and not engine.chat_template:
            self.send(*error(HTTPStatus.BAD_REQUEST, NO_CHAT_TEMPLATE, "BadRequestError"))
            return
        number = engine.begin_generation(model)
        try:
            if engine.smoke_fail:
                self.send(*error(HTTPStatus.INTERNAL_SERVER_ERROR, "simulated engine failure", "InternalServerError"))
                return
            delay, fail = engine.faults.draw(model)
            if delay:
                time.sleep(delay)
            if fail:
                self.send(
                    *error(
                        HTTPStatus.INTERNAL_SERVER_ERROR,
                        f"injected failure of model `{model}` (fake_vllm fault)",
                        "InternalServerError",
                    )
                )
                return
            max_tokens = body.get("max_tokens", body.get("max_completion_tokens"))
            tokens, prompt_tokens = tokens_for(
                model, body.get("messages") if chat else body.get("prompt", ""), max_tokens
            )
            finish = "length" if max_tokens is not None and len(tokens) >= int(max_tokens) else "stop"
            usage = {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": len(tokens),
                "total_tokens": prompt_tokens + len(tokens),
            }
            request_id = ("chatcmpl-" if chat else "cmpl-") + uuid.uuid4().hex
            created = int(time.time())
            if body.get("stream"):
                self.stream(request_id, created, model, tokens, finish, usage, chat, body)
            else:
                text = "".join(tokens)
                if chat:
                    choice = {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "logprobs": None,
                        "finish_reason": finish,
                    }
                    obj = "chat.completion"
                else:
                    choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": finish}
                    obj = "text_completion"
                self.send_json(
                    HTTPStatus.OK,
                    {
                        "id": request_id,
                        "object": obj,
                        "created": created,
                        "model": model,
                        "choices": [choice],
                        "usage": usage,
                    },
                )
        finally:
            engine.end_generation(number, model)

    def stream(self, request_id, created, model, tokens, finish, usage, chat, body):
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        obj = "chat.completion.chunk" if chat else "text_completion"

        def event(choice, with_usage=None):
            payload = {"id": request_id, "object": obj, "created": created, "model": model, "choices": choice}
            if with_usage is not None:
                payload["usage"] = with_usage
            self.chunk("data: " + json.dumps(payload) + "\n\n")

        delay = float(self.engine.settings["token_delay"])
        if chat:
            event(
                [{"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": None, "finish_reason": None}]
            )
        for token in tokens:
            time.sleep(delay)
            if chat:
                event([{"index": 0, "delta": {"content": token}, "logprobs": None, "finish_reason": None}])
            else:
                event([{"index": 0, "text": token, "logprobs": None, "finish_reason": None}])
        if chat:
            event([{"index": 0, "delta": {}, "logprobs": None, "finish_reason": finish}])
        else:
            event([{"index": 0, "text": "", "logprobs": None, "finish_reason": finish}])
        if (body.get("stream_options") or {}).get("include_usage"):
            event([], usage)
        self.chunk("data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def main(argv):
    args = parse_args(argv)
    shown = {k: ("<redacted>" if k in ("api_key", "api_keys") and v else v) for k, v in vars(args).items()}
    log(f"vLLM API server (fake) version 0.0.0; args: {shown}")
    broken = "broken-model" in args.model
    if args.model.startswith("/") and not os.path.exists(args.model):
        print(f"ERROR [fake_vllm] model path does not exist: {args.model}", file=sys.stderr, flush=True)
        return 1
    unsupported = lora_unsupported(args.model) if args.enable_lora else None
    if unsupported:
        print(f"ERROR [fake_vllm] ValueError: {unsupported[0]} does not support LoRA yet.", file=sys.stderr, flush=True)
        return 1
    tp_error = tensor_parallel_error(args.model, args.tensor_parallel_size)
    if tp_error:
        print(f"ERROR [fake_vllm] {tp_error}", file=sys.stderr, flush=True)
        return 1
    log(
        f"tensor parallel size {args.tensor_parallel_size} on CUDA_VISIBLE_DEVICES="
        f"{os.environ.get('CUDA_VISIBLE_DEVICES', '<unset>')}"
    )
    settings = load_overrides(args.model)
    try:
        faults = faults_from_env()
    except ValueError as e:
        print(f"ERROR [fake_vllm] {e}", file=sys.stderr, flush=True)
        return 2
    for fault in faults.views():
        log(f"test-only faults of {fault['model']!r}: {fault}")
    engine = ModelServer(args, settings, faults)
    for name, path, base_model_name in args.lora_modules:
        status, _, message = engine.load_adapter(name, path, base_model_name)
        if status != HTTPStatus.OK:
            print(f"ERROR [fake_vllm] {json.loads(message)['error']['message']}", file=sys.stderr, flush=True)
            return 1
    Handler.engine = engine
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    if broken or settings.get("fail") == "exit_on_start":
        time.sleep(float(settings["startup_delay"]))
        print(f"ERROR [fake_vllm] cannot load model {args.model}: simulated load failure", file=sys.stderr, flush=True)
        return 1
    log(f"Started server process [{os.getpid()}]")
    log(f"Uvicorn running on http://{args.host}:{args.port} (Press CTRL+C to quit)")
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    log("Shutting down")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
