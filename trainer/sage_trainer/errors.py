"""Error codes of the trainer protocol and the exception that carries them to the ``error`` line."""

from __future__ import annotations

BAD_SPEC = "bad_spec"
MISSING_DEPENDENCY = "missing_dependency"
MODEL_NOT_FOUND = "model_not_found"
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
        if not hp.gradient_checkpointing:
            tips.append("enable gradient_checkpointing")
    if method == "full":
        tips.append("use method lora (or qlora) instead of full fine-tuning")
    elif method == "lora":
        tips.append("use method qlora (4-bit base weights, needs bitsandbytes)")
    if not tips:
        tips.append("pick a smaller base model or a GPU with more memory")
    return "; ".join(tips)


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
