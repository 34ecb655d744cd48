"""The dataset: reading chat JSONL strictly, encoding, packing, batching and padding. No torch."""

from __future__ import annotations

import bisect
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from .errors import DATASET_EMPTY, DATASET_INVALID, TrainerError
from .formatting import IGNORE_INDEX, ChatEncoder, EncodedExample, FormattingError

ROLES = ("system", "user", "assistant")
_MAX_REPORTED_ERRORS = 5


@dataclass(frozen=True)
class Sample:
    """One row of a batch. ``position_ids`` is set for packed rows (several conversations)."""

    input_ids: list[int]
    labels: list[int]
    position_ids: list[int] | None = None


@dataclass(frozen=True)
class DataStats:
    conversations: int
    examples: int
    dropped: int
    truncated: int
    tokens: int
    trained_tokens: int

    def describe(self) -> str:
        text = (
            f"{self.conversations} conversations -> {self.examples} training examples, "
            f"{self.tokens} tokens ({self.trained_tokens} assistant tokens in the loss)"
        )
        if self.truncated:
            text += f"; {self.truncated} truncated to max_length"
        if self.dropped:
            text += f"; {self.dropped} dropped (no assistant token within max_length)"
        return text


def _check_record(record: Any) -> str | None:
    """Why a decoded JSONL record is not a chat sample, or None when it is one."""
    if not isinstance(record, dict):
        return "not a JSON object"
    messages = record.get("messages")
    if not isinstance(messages, list) or not messages:
        return 'missing a non-empty "messages" list'
    for position, message in enumerate(messages):
        if not isinstance(message, dict):
            return f"messages[{position}] is not an object"
        if message.get("role") not in ROLES:
            return f"messages[{position}].role must be one of {', '.join(ROLES)}"
        if not isinstance(message.get("content"), str):
            return f"messages[{position}].content must be a string"
    if not any(m["role"] == "assistant" and m["content"].strip() for m in messages):
        return "has no non-empty assistant message to learn from"
    return None


def load_conversations(path: Path) -> list[list[dict[str, str]]]:
    """Read ``{"messages": [...]}`` lines. Any malformed line fails the whole dataset: the service
    normalises datasets before training, so a bad line means something upstream is wrong."""
    if not path.is_file():
        raise TrainerError(DATASET_EMPTY, f"dataset file {path} does not exist")
    conversations: list[list[dict[str, str]]] = []
    errors: list[str] = []
    error_count = 0
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    problem: str | None = f"invalid JSON ({exc.msg})"
                else:
                    problem = _check_record(record)
                if problem is None:
                    conversations.append([{"role": m["role"], "content": m["content"]} for m in record["messages"]])
                else:
                    error_count += 1
                    if len(errors) < _MAX_REPORTED_ERRORS:
                        errors.append(f"line {number}: {problem}")
    except UnicodeDecodeError as exc:
        raise TrainerError(DATASET_INVALID, f"dataset file {path} is not UTF-8 text: {exc}") from exc
    if error_count:
        more = f" (and {error_count - len(errors)} more)" if error_count > len(errors) else ""
        raise TrainerError(
            DATASET_INVALID, f"{error_count} invalid line(s) in {path.name}: " + "; ".join(errors) + more
        )
    if not conversations:
        raise TrainerError(DATASET_EMPTY, f"dataset file {path} has no samples")
    return conversations


def encode_conversations(
    encoder: ChatEncoder, conversations: Sequence[list[dict[str, str]]]
) -> tuple[list[EncodedExample], DataStats]:
    """Encode every conversation; drop those left without an assistant token by truncation."""
    examples: list[EncodedExample] = []
    dropped = truncated = tokens = trained = 0
    for number, messages in enumerate(conversations, start=1):
        try:
            example = encoder.encode(messages)
        except FormattingError as exc:
            raise TrainerError(DATASET_INVALID, f"sample {number}: {exc}") from exc
        truncated += example.truncated
        if example.trained_tokens == 0:
            dropped += 1
            continue
        examples.append(example)
        tokens += len(example.input_ids)
        trained += example.trained_tokens
    stats = DataStats(len(conversations), len(examples), dropped, truncated, tokens, trained)
    if not examples:
        raise TrainerError(
            DATASET_INVALID,
            f"no sample keeps an assistant token within max_length="
            f"{encoder.max_length}; raise max_length or shorten the prompts",
        )
    return examples, stats


def shuffled(count: int, seed: int, epoch: int) -> list[int]:
    """A permutation of range(count) that depends only on (seed, epoch), so a resumed run
    sees the data in the same order."""
    order = list(range(count))
    random.Random(f"sage-trainer/{seed}/{epoch}").shuffle(order)
    return order


def as_samples(examples: Sequence[EncodedExample]) -> list[Sample]:
    return [Sample(e.input_ids, e.labels) for e in examples]


def pack(examples: Sequence[EncodedExample], max_length: int, seed: int) -> list[Sample]:
    """Put whole examples (taken in a seeded random order) into rows of at most ``max_length`` tokens, each into the
    fullest row it still fits (best fit: rows end up nearly full, few padding tokens). Position ids restart at every
    example, which is what keeps the conversations apart: flash-attention's varlen kernels read the boundaries from
    them, and for SDPA/eager the loop turns them into a block-diagonal causal mask (:mod:`.speed`); no label crosses
    an example boundary (an example's first token is never a target)."""
    rows: list[tuple[list[int], list[int], list[int]]] = []
    free: list[tuple[int, int]] = []  # (tokens still free, row index), sorted
    for index in shuffled(len(examples), seed, -1):
        example = examples[index]
        size = len(example.input_ids)
        slot = bisect.bisect_left(free, (size, -1))
        if slot < len(free):
            room, row = free.pop(slot)
        else:
            room, row = max_length, len(rows)
            rows.append(([], [], []))
        ids, labels, positions = rows[row]
        ids += example.input_ids
        labels += [IGNORE_INDEX] + example.labels[1:]
        positions += range(size)
        if room - size > 0:
            bisect.insort(free, (room - size, row))
    return [Sample(ids, labels, positions) for ids, labels, positions in rows]


def micro_batches(count: int, batch_size: int, seed: int, epoch: int) -> list[list[int]]:
    order = shuffled(count, seed, epoch)
    return [order[i : i + batch_size] for i in range(0, count, batch_size)]


def optimizer_groups(batches: list[list[int]], accumulation: int) -> list[list[list[int]]]:
    """Micro-batches grouped per optimizer step; the last group of an epoch may be shorter."""
    return [batches[i : i + accumulation] for i in range(0, len(batches), accumulation)]


def shard_group(group: list[list[int]], rank: int, world_size: int) -> list[list[int] | None]:
    """One process's share of a distributed step's micro-batches: every ``world_size``-th from ``rank``. Every rank gets
    as many (each micro-batch is a collective under DDP/FSDP, their counts must match); ``None`` pads a short share
    with a pass that counts nothing (weight zero)."""
    mine: list[list[int] | None] = list(group[rank::world_size])
    return mine + [None] * (-(-len(group) // world_size) - len(mine))


def collate(samples: Sequence[Sample], pad_id: int, flatten: bool = False) -> dict[str, list[list[int]]]:
    """Right-pad a micro-batch. Plain rows get an ``attention_mask``; packed rows get ``position_ids`` instead (the
    padding forms one more short sequence that no label reads). ``flatten`` puts the whole micro-batch into one row
    without any padding, each sample's position ids from 0 and its first token never a target: what flash-attention's
    varlen path needs (transformers reads packed sequences from position ids only in a batch of one row;
    ``DataCollatorWithFlattening``'s layout)."""
    if flatten:
        ids: list[int] = []
        labels: list[int] = []
        positions: list[int] = []
        for sample in samples:
            ids += sample.input_ids
            labels += [IGNORE_INDEX] + sample.labels[1:]
            positions += sample.position_ids if sample.position_ids is not None else range(len(sample.input_ids))
        return {"input_ids": [ids], "labels": [labels], "position_ids": [positions]}
    width = max(len(s.input_ids) for s in samples)
    batch: dict[str, list[list[int]]] = {"input_ids": [], "labels": []}
    packed = any(s.position_ids is not None for s in samples)
    batch["position_ids" if packed else "attention_mask"] = []
    for sample in samples:
        padding = width - len(sample.input_ids)
        batch["input_ids"].append(sample.input_ids + [pad_id] * padding)
        batch["labels"].append(sample.labels + [IGNORE_INDEX] * padding)
        if packed:
            positions = sample.position_ids if sample.position_ids is not None else list(range(len(sample.input_ids)))
            batch["position_ids"].append(positions + list(range(padding)))
        else:
            batch["attention_mask"].append([1] * len(sample.input_ids) + [0] * padding)
    return batch


def padding_ratio(lengths: Sequence[int], batch_size: int, seed: int) -> float:
    """The share of padding tokens in right-padded micro-batches of these rows (epoch 0's batches): how much of the
    compute an unpacked run spends on nothing."""
    padded = real = 0
    for batch in micro_batches(len(lengths), batch_size, seed, 0):
        sizes = [lengths[i] for i in batch]
        padded += max(sizes) * len(sizes)
        real += sum(sizes)
    return 1 - real / max(1, padded)


def count_trained_tokens(samples: Sequence[Sample]) -> int:
    return sum(1 for s in samples for label in s.labels[1:] if label != IGNORE_INDEX)
