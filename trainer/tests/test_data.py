import json
import tempfile
import unittest
from pathlib import Path

from sage_trainer.data import (
    Sample,
    as_samples,
    collate,
    count_trained_tokens,
    encode_conversations,
    load_conversations,
    micro_batches,
    optimizer_groups,
    pack,
)
from sage_trainer.errors import DATASET_EMPTY, DATASET_INVALID, TrainerError
from sage_trainer.formatting import IGNORE_INDEX, ChatEncoder

from tests.stand_ins import ChatMLTokenizer
from tests.support import conversation, write_dataset


class LoadConversationsTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.path = Path(self._tmp.name) / "dataset.jsonl"

    def tearDown(self):
        self._tmp.cleanup()

    def error(self) -> TrainerError:
        with self.assertRaises(TrainerError) as caught:
            load_conversations(self.path)
        return caught.exception

    def test_reads_chat_lines_and_skips_blank_ones(self):
        write_dataset(self.path, 3)
        with self.path.open("a") as handle:
            handle.write("\n   \n")
        conversations = load_conversations(self.path)
        self.assertEqual(len(conversations), 3)
        self.assertEqual(conversations[1][2], {"role": "assistant", "content": "1 plus 1 is 2."})

    def test_missing_and_empty_files(self):
        self.assertEqual(self.error().code, DATASET_EMPTY)
        self.path.write_text("\n\n")
        self.assertEqual(self.error().code, DATASET_EMPTY)

    def test_invalid_lines_are_reported_with_numbers(self):
        good = json.dumps(conversation(1))
        bad = [
            "{not json",
            json.dumps({"text": "hi"}),
            json.dumps({"messages": [{"role": "bot", "content": "x"}]}),
            json.dumps({"messages": [{"role": "user", "content": "only a question"}]}),
            json.dumps({"messages": [{"role": "assistant", "content": 5}]}),
            "[]",
            "7",
        ]
        self.path.write_text("\n".join([good, *bad]) + "\n")
        error = self.error()
        self.assertEqual(error.code, DATASET_INVALID)
        self.assertIn("7 invalid line(s)", error.message)
        self.assertIn("line 2: invalid JSON", error.message)
        self.assertIn('line 3: missing a non-empty "messages" list', error.message)
        self.assertIn("line 4: messages[0].role must be one of", error.message)
        self.assertIn("line 5: has no non-empty assistant message", error.message)
        self.assertIn("(and 2 more)", error.message)

    def test_non_utf8_file(self):
        self.path.write_bytes(b'{"messages": "\xff\xfe"}\n')
        self.assertEqual(self.error().code, DATASET_INVALID)


class EncodeAndBatchTest(unittest.TestCase):
    def encoded(self, count=6, max_length=512):
        conversations = [[dict(m) for m in conversation(i)["messages"]] for i in range(count)]
        return encode_conversations(ChatEncoder(ChatMLTokenizer(), max_length), conversations)

    def test_stats(self):
        examples, stats = self.encoded()
        self.assertEqual((stats.conversations, stats.examples, stats.dropped, stats.truncated), (6, 6, 0, 0))
        self.assertEqual(stats.tokens, sum(len(e.input_ids) for e in examples))
        self.assertIn("6 conversations -> 6 training examples", stats.describe())

    def test_samples_without_assistant_tokens_within_max_length(self):
        with self.assertRaises(TrainerError) as caught:
            self.encoded(max_length=16)
        self.assertEqual(caught.exception.code, DATASET_INVALID)
        self.assertIn("max_length=16", caught.exception.message)

    def test_packing_keeps_examples_whole_and_apart(self):
        examples, _ = self.encoded(count=10)
        length = len(examples[0].input_ids)
        rows = pack(examples, max_length=length * 3 + 1, seed=1)
        self.assertEqual(len(rows), 4)
        self.assertTrue(all(len(r.input_ids) <= length * 3 + 1 for r in rows))
        self.assertEqual(sum(len(r.input_ids) for r in rows), sum(len(e.input_ids) for e in examples))
        first = rows[0]
        self.assertEqual(first.position_ids, list(range(length)) * 3)
        for start in range(0, len(first.input_ids), length):
            self.assertEqual(first.labels[start], IGNORE_INDEX)
        self.assertEqual(count_trained_tokens(rows), sum(e.trained_tokens for e in examples))

    def test_batches_cover_every_example_and_depend_only_on_seed_and_epoch(self):
        batches = micro_batches(10, 3, seed=7, epoch=0)
        self.assertEqual(sorted(i for b in batches for i in b), list(range(10)))
        self.assertEqual([len(b) for b in batches], [3, 3, 3, 1])
        self.assertEqual(batches, micro_batches(10, 3, seed=7, epoch=0))
        self.assertNotEqual(batches, micro_batches(10, 3, seed=7, epoch=1))
        self.assertEqual([len(g) for g in optimizer_groups(batches, 3)], [3, 1])

    def test_collate_pads_right_with_attention_mask(self):
        batch = collate([Sample([5, 6, 7], [IGNORE_INDEX, 6, 7]), Sample([8], [8])], pad_id=0)
        self.assertEqual(batch["input_ids"], [[5, 6, 7], [8, 0, 0]])
        self.assertEqual(batch["labels"], [[IGNORE_INDEX, 6, 7], [8, IGNORE_INDEX, IGNORE_INDEX]])
        self.assertEqual(batch["attention_mask"], [[1, 1, 1], [1, 0, 0]])
        self.assertNotIn("position_ids", batch)

    def test_collate_packed_rows_use_position_ids(self):
        batch = collate([Sample([1, 2, 3, 4], [1, 2, 3, 4], [0, 1, 0, 1]), Sample([5, 6], [5, 6], [0, 1])], 0)
        self.assertEqual(batch["position_ids"], [[0, 1, 0, 1], [0, 1, 0, 1]])
        self.assertNotIn("attention_mask", batch)

    def test_as_samples(self):
        examples, _ = self.encoded(count=2)
        self.assertEqual(as_samples(examples)[1].input_ids, examples[1].input_ids)


if __name__ == "__main__":
    unittest.main()
