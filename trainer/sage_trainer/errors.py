"""Error codes of the trainer protocol and the exception that carries them to the ``error`` line."""

from __future__ import annotations

BAD_SPEC = "bad_spec"
MISSING_DEPENDENCY = "missing_dependency"
MODEL_NOT_FOUND = "model_not_found"
MODEL_ACCESS_DENIED = "model_access_denied"
DATASET_EMPTY = "dataset_empty"
DATASET_INVALID = "dataset_invalid"
CUDA_OOM = "cuda_oom"
UNSUPPORTED = "unsupported"
DIVERGED = "diverged"
CANCELLED = "cancelled"
INTERNAL = "internal"

EXIT_BAD_SPEC = 2
EXIT_FAILURE = 1
EXIT_CANCELLED = 143  # 128 + SIGTERM, what a shell reports for a process killed by SIGTERM


class TrainerError(Exception):
    """A failure the user can act on: ``code`` goes to the protocol, ``message`` says what to do."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def exit_code(self) -> int:
        if self.code == BAD_SPEC:
            return EXIT_BAD_SPEC
        if self.code == CANCELLED:
            return EXIT_CANCELLED
        return EXIT_FAILURE


class Cancelled(TrainerError):
    """Raised when SIGTERM/SIGINT asked the trainer to stop."""

    def __init__(self, message: str = "cancelled"):
        super().__init__(CANCELLED, message)


def is_out_of_memory(exc: BaseException) -> bool:
    """True for ``torch.cuda.OutOfMemoryError`` (and the RuntimeError older torch raised instead)."""
    if type(exc).__name__ == "OutOfMemoryError":
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower() and "cuda" in str(exc).lower()


def out_of_memory_advice(method: str | None, hp) -> str:
    """Concrete ways out of a CUDA OOM, leaving out what the job already does."""
    tips = []
    if hp is not None:
        if hp.batch_size > 1:
            smaller = max(1, hp.batch_size // 2)
            tips.append(
                f"lower batch_size to {smaller} and raise gradient_accumulation_steps to "
                f"{hp.gradient_accumulation_steps * hp.batch_size // smaller} to keep the effective batch"
            )
        if hp.max_length > 256:
            tips.append(f"lower max_length (now {hp.max_length}, e.g. {max(256, hp.max_length // 2)})")
        if hp.gradient_checkpointing is not True:
            tips.append("set gradient_checkpointing to true")
    if method == "full":
        tips.append("use method lora (or qlora) instead of full fine-tuning")
    elif method == "lora":
        tips.append("use method qlora (4-bit base weights, needs bitsandbytes)")
    if not tips:
        tips.append("pick a smaller base model or a GPU with more memory")
    return "; ".join(tips)


_GATED_TEXT = ("gated repo", "is restricted and you are not in the authorized list", "access to model")


def _status_code(exc: BaseException):
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


def hub_refusal(exc: BaseException) -> str | None:
    """Why the Hugging Face Hub refused a download, when ``exc`` (or an exception it was raised from) says so.

    huggingface_hub raises ``GatedRepoError`` for a gated model whose licence the token's account has not
    accepted, and ``RepositoryNotFoundError``/``HfHubHTTPError`` with status 401 or 403 for a missing or
    insufficient token (the Hub also answers 401 for an id that does not exist, so a misspelt id lands here
    too); transformers wraps them in an ``OSError`` whose text mentions the gated repo. ``None``: not a refusal.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        name = type(current).__name__
        status = _status_code(current)
        if name == "GatedRepoError":
            return "the model is gated and the token's account has not been granted access"
        if status in (401, 403) and name in ("RepositoryNotFoundError", "HfHubHTTPError", "HTTPError"):
            return f"the Hub answered {status} ({'no valid token' if status == 401 else 'access not granted'})"
        text = str(current).lower()
        if isinstance(current, OSError) and any(marker in text for marker in _GATED_TEXT):
            return "the model is gated and the token's account has not been granted access"
        current = current.__cause__ or current.__context__
    return None


def access_denied(model: str, reason: str) -> TrainerError:
    """``model_access_denied`` naming the model and what to do; never quotes a token."""
    return TrainerError(
        MODEL_ACCESS_DENIED,
        f"the Hugging Face Hub refused to download {model}: {reason}. Open https://huggingface.co/{model} "
        "with the account whose token the studio uses and accept the model's licence (or request access), then "
        "give that token to the trainer: HF_TOKEN in the environment of the studio (./sage), "
        "studio.models.hf-token-file, or on Kubernetes the Secret named by the chart's huggingface.tokenSecret. "
        "Check the model id's spelling too: the Hub answers the same for an id that does not exist",
    )


def classify(exc: BaseException, method: str | None = None, hp=None) -> TrainerError:
    """Map any exception to the protocol error it should be reported as."""
    if isinstance(exc, TrainerError):
        return exc
    if isinstance(exc, KeyboardInterrupt):
        return Cancelled("cancelled by SIGINT")
    if is_out_of_memory(exc):
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else "CUDA out of memory"
        return TrainerError(CUDA_OOM, f"{first_line}. Try: {out_of_memory_advice(method, hp)}")
    if isinstance(exc, MemoryError):
        return TrainerError(
            INTERNAL,
            "the host ran out of RAM (MemoryError); use a machine with more memory " "or a smaller model/dataset",
        )
    return TrainerError(INTERNAL, f"{type(exc).__name__}: {exc}")
