import unittest

from sage_trainer.formatting import IGNORE_INDEX, ChatEncoder, FormattingError, assistant_spans

from tests.stand_ins import ChatMLTokenizer, Llama3Tokenizer, ReasoningChatMLTokenizer

CHAT = [
    {"role": "user", "content": "Hi there"},
    {"role": "assistant", "content": "Hello! How can I help?"},
    {"role": "user", "content": "Name a colour."},
    {"role": "assistant", "content": "Blue."},
]


def trained_text(tokenizer, example) -> list[str]:
    """The trained token runs, decoded, one string per contiguous run."""
    runs, current = [], []
    for token, label in zip(example.input_ids, example.labels):
        if label == IGNORE_INDEX:
            if current:
                runs.append(tokenizer.decode(current))
                current = []
        else:
            assert label == token
            current.append(token)
    if current:
        runs.append(tokenizer.decode(current))
    return runs


class ChatFormattingTest(unittest.TestCase):
    def test_qwen2_template_trains_only_assistant_turns_and_their_end_token(self):
        tokenizer = ChatMLTokenizer()
        example = ChatEncoder(tokenizer, max_length=1024).encode(CHAT)
        self.assertEqual(trained_text(tokenizer, example), ["Hello! How can I help?<|im_end|>", "Blue.<|im_end|>"])
        self.assertEqual(tokenizer.decode(example.input_ids), tokenizer.apply_chat_template(CHAT, tokenize=False))
        self.assertFalse(example.truncated)

    def test_default_system_prompt_and_user_turns_are_masked(self):
        tokenizer = ChatMLTokenizer()
        example = ChatEncoder(tokenizer, 1024).encode(CHAT)
        masked = tokenizer.decode([t for t, l in zip(example.input_ids, example.labels) if l == IGNORE_INDEX])
        self.assertIn("You are a helpful assistant.", masked)
        self.assertIn("Name a colour.", masked)
        self.assertIn("<|im_start|>assistant\n", masked)
        self.assertNotIn("Blue", masked)

    def test_offsets_and_piecewise_tokenisation_agree(self):
        fast, slow = ChatMLTokenizer(with_offsets=True), ChatMLTokenizer(with_offsets=False)
        with_offsets, without = ChatEncoder(fast, 1024), ChatEncoder(slow, 1024)
        self.assertTrue(with_offsets.uses_offsets)
        self.assertFalse(without.uses_offsets)
        a, b = with_offsets.encode(CHAT), without.encode(CHAT)
        # Ids are assigned on first sight by the stand-in, so compare the token strings.
        self.assertEqual([fast.decode([t]) for t in a.input_ids], [slow.decode([t]) for t in b.input_ids])
        self.assertEqual([l == IGNORE_INDEX for l in a.labels], [l == IGNORE_INDEX for l in b.labels])
        self.assertEqual(trained_text(fast, a), trained_text(slow, b))

    def test_llama3_template_with_trimmed_content(self):
        tokenizer = Llama3Tokenizer()
        chat = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "  Hello.  \n"}]
        self.assertEqual(trained_text(tokenizer, ChatEncoder(tokenizer, 512).encode(chat)), ["Hello.<|eot_id|>"])

    def test_templates_that_rewrite_past_turns_fall_back_to_locating_the_reply(self):
        tokenizer = ReasoningChatMLTokenizer()
        example = ChatEncoder(tokenizer, 1024).encode(CHAT)
        # The final turn is everything the model generates after the generation prompt, think block
        # included; the earlier turn, rendered differently in context, is located by its text.
        self.assertEqual(
            trained_text(tokenizer, example),
            ["Hello! How can I help?<|im_end|>", "<think>\n\n</think>\n\nBlue.<|im_end|>"],
        )

    def test_leading_assistant_turn_and_empty_replies(self):
        tokenizer = ChatMLTokenizer()
        chat = [
            {"role": "assistant", "content": "Welcome."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "   "},
        ]
        self.assertEqual(trained_text(tokenizer, ChatEncoder(tokenizer, 512).encode(chat)), ["Welcome.<|im_end|>"])

    def test_identical_replies_are_located_in_order(self):
        tokenizer = ReasoningChatMLTokenizer()
        chat = [
            {"role": "user", "content": "A"},
            {"role": "assistant", "content": "Yes."},
            {"role": "user", "content": "B"},
            {"role": "assistant", "content": "Yes."},
        ]
        _, spans = assistant_spans(tokenizer, chat)
        self.assertEqual(len(spans), 2)
        self.assertLess(spans[0][1], spans[1][0])

    def test_template_that_changes_the_reply_text_is_an_error(self):
        class Shouting(ChatMLTokenizer):
            def apply_chat_template(self, messages, tokenize=True, add_generation_prompt=False):
                loud = [{**m, "content": m["content"].upper()} if m["role"] == "assistant" else m for m in messages]
                return f"[{len(messages)}]" + super().apply_chat_template(loud, tokenize, add_generation_prompt)

        with self.assertRaises(FormattingError):
            ChatEncoder(Shouting(), 512).encode(CHAT)

    def test_truncation_keeps_the_head_and_flags_it(self):
        tokenizer = ChatMLTokenizer()
        full = ChatEncoder(tokenizer, 4096).encode(CHAT)
        cut = ChatEncoder(tokenizer, len(full.input_ids) - 3).encode(CHAT)
        self.assertTrue(cut.truncated)
        self.assertEqual(cut.input_ids, full.input_ids[: len(cut.input_ids)])
        self.assertEqual(cut.labels, full.labels[: len(cut.labels)])

    def test_trained_tokens_ignore_position_zero(self):
        tokenizer = ChatMLTokenizer()
        example = ChatEncoder(tokenizer, 1024).encode(CHAT)
        self.assertEqual(example.trained_tokens, sum(1 for l in example.labels if l != IGNORE_INDEX))


if __name__ == "__main__":
    unittest.main()
