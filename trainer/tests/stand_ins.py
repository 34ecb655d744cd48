"""Pure-Python stand-ins for Hugging Face tokenizers, implementing only what sage_trainer uses:
``apply_chat_template(..., tokenize=False)`` and ``__call__`` with optional offsets."""

from __future__ import annotations

import re


class WordTokenizer:
    """Splits text into special tokens, whitespace runs, words and punctuation; ids are assigned on
    first sight. ``with_offsets=False`` behaves like a slow tokenizer without an offset mapping."""

    special_tokens: tuple[str, ...] = ()
    eos_token = ""
    chat_template = "rendered in Python by the stand-in"

    def __init__(self, with_offsets: bool = True):
        self.with_offsets = with_offsets
        self.vocab: dict[str, int] = {}
        for token in self.special_tokens:
            self._id(token)
        specials = "|".join(re.escape(t) for t in self.special_tokens)
        self._pattern = re.compile((specials + "|" if specials else "") + r"\s+|\w+|[^\w\s]")
        self.eos_token_id = self.vocab.get(self.eos_token)
        self.pad_token_id = None

    def _id(self, token: str) -> int:
        return self.vocab.setdefault(token, len(self.vocab))

    def __call__(self, text, add_special_tokens=False, return_offsets_mapping=False):
        if return_offsets_mapping and not self.with_offsets:
            raise NotImplementedError("return_offset_mapping is not available when using Python tokenizers")
        matches = list(self._pattern.finditer(text))
        assert "".join(m.group() for m in matches) == text, "the stand-in tokenizer must cover all text"
        encoded = {"input_ids": [self._id(m.group()) for m in matches]}
        if return_offsets_mapping:
            encoded["offset_mapping"] = [m.span() for m in matches]
        return encoded

    def decode(self, ids) -> str:
        inverse = {i: t for t, i in self.vocab.items()}
        return "".join(inverse[i] for i in ids)


class ChatMLTokenizer(WordTokenizer):
    """Qwen2's ChatML template, rendered by hand (including its default system prompt)."""

    special_tokens = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
    eos_token = "<|im_end|>"
    default_system = "You are a helpful assistant."

    def apply_chat_template(self, messages, tokenize=True, add_generation_prompt=False):
        assert tokenize is False
        parts = []
        if messages and messages[0]["role"] != "system":
            parts.append(f"<|im_start|>system\n{self.default_system}<|im_end|>\n")
        for message in messages:
            parts.append(f"<|im_start|>{message['role']}\n{message['content']}<|im_end|>\n")
        if add_generation_prompt:
            parts.append("<|im_start|>assistant\n")
        return "".join(parts)


class Llama3Tokenizer(WordTokenizer):
    """Llama 3's header template; it trims message content."""

    special_tokens = ("<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>")
    eos_token = "<|eot_id|>"

    def apply_chat_template(self, messages, tokenize=True, add_generation_prompt=False):
        assert tokenize is False
        parts = ["<|begin_of_text|>"]
        for message in messages:
            parts.append(
                f"<|start_header_id|>{message['role']}<|end_header_id|>\n\n" f"{message['content'].strip()}<|eot_id|>"
            )
        if add_generation_prompt:
            parts.append("<|start_header_id|>assistant<|end_header_id|>\n\n")
        return "".join(parts)


class ReasoningChatMLTokenizer(ChatMLTokenizer):
    """Like Qwen3: only the final assistant turn carries an (empty) think block, so rendering a
    prefix of the conversation is not a prefix of rendering all of it."""

    def apply_chat_template(self, messages, tokenize=True, add_generation_prompt=False):
        assert tokenize is False
        parts = []
        for index, message in enumerate(messages):
            content = message["content"]
            if message["role"] == "assistant" and index == len(messages) - 1:
                content = "<think>\n\n</think>\n\n" + content
            parts.append(f"<|im_start|>{message['role']}\n{content}<|im_end|>\n")
        if add_generation_prompt:
            parts.append("<|im_start|>assistant\n")
        return "".join(parts)
