"""A download the Hugging Face Hub refuses (gated model, 401/403) is ``model_access_denied``, not ``model_not_found``.

huggingface_hub and transformers are not needed: the exceptions are stand-ins named like theirs (the trainer
recognises them by name and status, as it does torch's OutOfMemoryError), and ``transformers`` is a stand-in
module whose ``from_pretrained`` raises the way transformers does (an ``OSError`` raised from the hub error).
"""

import sys
import types
import unittest
from types import SimpleNamespace

from sage_trainer.errors import MODEL_ACCESS_DENIED, MODEL_NOT_FOUND, TrainerError, classify, hub_refusal
from sage_trainer.methods import load_config, load_tokenizer


class GatedRepoError(Exception):
    """Named like huggingface_hub.errors.GatedRepoError."""

    def __init__(self, message, status=403):
        super().__init__(message)
        self.response = SimpleNamespace(status_code=status)


class RepositoryNotFoundError(Exception):
    """Named like huggingface_hub.errors.RepositoryNotFoundError."""

    def __init__(self, message, status):
        super().__init__(message)
        self.response = SimpleNamespace(status_code=status)


def wrapped(cause):
    """What transformers raises: an OSError raised from the hub's error."""
    try:
        raise cause
    except Exception as exc:  # noqa: BLE001
        try:
            raise OSError(f"wrapped: {exc}") from exc
        except OSError as outer:
            return outer


class StandInTransformers:
    """Installs a ``transformers`` module whose Auto classes raise ``error``."""

    def __init__(self, error):
        self.error = error

    def __enter__(self):
        def raising(*_args, **_kwargs):
            raise self.error

        module = types.ModuleType("transformers")
        module.AutoConfig = SimpleNamespace(from_pretrained=raising)
        module.AutoTokenizer = SimpleNamespace(from_pretrained=raising)
        self.saved = sys.modules.get("transformers")
        sys.modules["transformers"] = module
        return self

    def __exit__(self, *exc):
        if self.saved is None:
            del sys.modules["transformers"]
        else:
            sys.modules["transformers"] = self.saved


class HubRefusalTest(unittest.TestCase):
    def test_gated_and_unauthorised_downloads_are_refusals(self):
        self.assertIsNotNone(hub_refusal(GatedRepoError("Cannot access gated repo")))
        self.assertIsNotNone(hub_refusal(wrapped(GatedRepoError("Cannot access gated repo"))))
        self.assertIn("401", hub_refusal(wrapped(RepositoryNotFoundError("401 Client Error", 401))))
        self.assertIn("403", hub_refusal(RepositoryNotFoundError("403 Client Error", 403)))
        self.assertIsNotNone(
            hub_refusal(OSError("You are trying to access a gated repo.\nMake sure to have access to it"))
        )

    def test_other_failures_are_not_refusals(self):
        self.assertIsNone(hub_refusal(wrapped(RepositoryNotFoundError("404 Client Error", 404))))
        self.assertIsNone(hub_refusal(OSError("Can't load the configuration of 'nope'")))
        self.assertIsNone(hub_refusal(ValueError("gated repo")))  # only hub errors and transformers' OSError


class LoadingTest(unittest.TestCase):
    def test_a_gated_model_fails_with_model_access_denied_naming_the_model_and_the_way_out(self):
        for load in (load_config, load_tokenizer):
            with StandInTransformers(wrapped(GatedRepoError("Cannot access gated repo for url https://x"))):
                with self.assertRaises(TrainerError) as caught:
                    load("meta-llama/Llama-3.1-8B-Instruct")
            error = caught.exception
            self.assertEqual(error.code, MODEL_ACCESS_DENIED)
            self.assertEqual(error.exit_code, 1)
            self.assertIn("meta-llama/Llama-3.1-8B-Instruct", error.message)
            self.assertIn("https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct", error.message)
            self.assertIn("licence", error.message)
            self.assertIn("HF_TOKEN", error.message)
            self.assertIn("huggingface.tokenSecret", error.message)
            # the CLI reports what the loader raised as it is
            self.assertIs(classify(error), error)

    def test_an_unauthorised_download_is_denied_and_a_missing_model_is_not_found(self):
        with StandInTransformers(wrapped(RepositoryNotFoundError("401 Client Error", 401))):
            with self.assertRaises(TrainerError) as denied:
                load_config("org/private-model")
        self.assertEqual(denied.exception.code, MODEL_ACCESS_DENIED)
        with StandInTransformers(OSError("org/nope is not a local folder")):
            with self.assertRaises(TrainerError) as missing:
                load_config("org/nope")
        self.assertEqual(missing.exception.code, MODEL_NOT_FOUND)


if __name__ == "__main__":
    unittest.main()
