"""Chat formatting and label masking: the model's own chat template, loss only on assistant turns.

A conversation is rendered once with ``apply_chat_template``. Each assistant turn's character span
is found by rendering the conversation up to that turn with the generation prompt (``prefix``) and
through that turn (``through``): the turn is ``through[len(prefix):]``. This holds for the ChatML
(Qwen2), Llama 3, Mistral, Gemma and Phi-3 templates. Templates that render earlier turns differently
(e.g. ones that drop reasoning from past turns) fall back to locating the message text itself, plus
the end-of-turn token that follows it. Spans end at the end-of-turn token: the trailing newline is
not learned. Characters are mapped to tokens through the tokenizer's offset mapping when it has one,
else by tokenising the text piecewise at span boundaries.

Only duck-typed tokenizer methods are used (``apply_chat_template``, ``__call__``), so the unit tests
run this module with a small pure-Python tokenizer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

IGNORE_INDEX = -100

# End-of-turn markers of common templates, tried after the tokenizer's own eos token.
_END_MARKERS = ("<|im_end|>", "<|eot_id|>", "<end_of_turn>", "<|end|>", "</s>")


class FormattingError(ValueError):
    """A conversation the chat template cannot be used for."""


@dataclass(frozen=True)
class EncodedExample:
    input_ids: list[int]
    labels: list[int]
    truncated: bool

    @property
    def trained_tokens(self) -> int:
        # Position 0 never contributes: causal-LM labels are shifted by one inside the model.
        return sum(1 for label in self.labels[1:] if label != IGNORE_INDEX)


def render(tokenizer: Any, messages: Sequence[dict], add_generation_prompt: bool) -> str:
    text = tokenizer.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=add_generation_prompt)
    if not isinstance(text, str):
        raise FormattingError("apply_chat_template(tokenize=False) did not return a string")
    return text


def _span_by_prefix(tokenizer: Any, messages: Sequence[dict], index: int, full: str) -> tuple[int, int] | None:
    if index == 0:
        return None
    try:
        prefix = render(tokenizer, messages[:index], add_generation_prompt=True)
        through = render(tokenizer, messages[: index + 1], add_generation_prompt=False)
    except Exception:  # noqa: BLE001 - some templates refuse partial conversations; use the fallback
        return None
    if len(through) > len(prefix) and through.startswith(prefix) and full.startswith(through):
        return len(prefix), len(through)
    return None


def _span_by_search(full: str, content: str, cursor: int, end_markers: Sequence[str]) -> tuple[int, int]:
    needle = content.strip()
    start = full.find(needle, cursor)
    if start < 0:
        raise FormattingError(
            "the chat template does not reproduce an assistant message verbatim, so its "
            "tokens cannot be located for the loss mask"
        )
    end = start + len(needle)
    for marker in end_markers:
        if marker and full.startswith(marker, end):
            end += len(marker)
            break
    return start, end


def assistant_spans(tokenizer: Any, messages: Sequence[dict]) -> tuple[str, list[tuple[int, int]]]:
    """Render ``messages``; return the text and the [start, end) character spans of assistant turns."""
    full = render(tokenizer, messages, add_generation_prompt=False)
    eos = getattr(tokenizer, "eos_token", None)
    end_markers = ([eos] if isinstance(eos, str) else []) + list(_END_MARKERS)
    spans: list[tuple[int, int]] = []
    cursor = 0
    for index, message in enumerate(messages):
        if message["role"] != "assistant" or not message["content"].strip():
            continue
        span = _span_by_prefix(tokenizer, messages, index, full)
        if span is None or span[0] < cursor:
            span = _span_by_search(full, message["content"], cursor, end_markers)
        start, end = span
        while end > start and full[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end))
            cursor = end
    return full, spans


class ChatEncoder:
    """Turns conversations into ``input_ids``/``labels`` for one tokenizer and ``max_length``."""

    def __init__(self, tokenizer: Any, max_length: int):
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.uses_offsets = self._has_offsets(tokenizer)

    @staticmethod
    def _has_offsets(tokenizer: Any) -> bool:
        try:
            probe = tokenizer("probe", add_special_tokens=False, return_offsets_mapping=True)
        except (NotImplementedError, ValueError, TypeError):
            return False
        return "offset_mapping" in probe

    def encode(self, messages: Sequence[dict]) -> EncodedExample:
        text, spans = assistant_spans(self.tokenizer, messages)
        if self.uses_offsets:
            ids, labels = self._label_by_offsets(text, spans)
        else:
            ids, labels = self._label_by_pieces(text, spans)
        truncated = len(ids) > self.max_length
        return EncodedExample(ids[: self.max_length], labels[: self.max_length], truncated)

    def _label_by_offsets(self, text: str, spans: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
        encoded = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        ids = list(encoded["input_ids"])
        labels = []
        k = 0
        for token_id, (start, _end) in zip(ids, encoded["offset_mapping"]):
            while k < len(spans) and start >= spans[k][1]:
                k += 1
            inside = k < len(spans) and spans[k][0] <= start
            labels.append(token_id if inside else IGNORE_INDEX)
        return ids, labels

    def _label_by_pieces(self, text: str, spans: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
        pieces: list[tuple[str, bool]] = []
        position = 0
        for start, end in spans:
            pieces.append((text[position:start], False))
            pieces.append((text[start:end], True))
            position = end
        pieces.append((text[position:], False))
        ids: list[int] = []
        labels: list[int] = []
        for piece, trained in pieces:
            if not piece:
                continue
            piece_ids = list(self.tokenizer(piece, add_special_tokens=False)["input_ids"])
            ids.extend(piece_ids)
            labels.extend(piece_ids if trained else [IGNORE_INDEX] * len(piece_ids))
        return ids, labels
