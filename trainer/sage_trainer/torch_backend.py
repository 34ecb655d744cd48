"""The real backend: transformers + PEFT on the first CUDA GPU (or the CPU).

As one rank of a distributed run (:mod:`.parallel`): its own GPU (``LOCAL_RANK``), the model wrapped for DDP or
FSDP after loading (FSDP: loaded on the CPU, sharded onto the GPU), checkpoints gathered and written by rank 0,
and the final artifacts written by rank 0 (from the best checkpoint's files, or from the gathered model), after
which the other ranks leave the process group and exit; rank 0 merges alone.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import shutil
from pathlib import Path
from typing import Any

from . import merge as merging
from .cancel import CancelToken
from .checkpoint import MODEL_DIR, CheckpointSaver, load_training_state, read_state
from .distributed import current_rank
from .data import as_samples, encode_conversations, load_conversations, pack
from .errors import INTERNAL, UNSUPPORTED, TrainerError
from .evaluation import Validation, default_eval_steps
from .fsutil import staged_dir
from .formatting import ChatEncoder
from .methods import (
    config_dtype,
    dtype_kwargs,
    load_config,
    load_tokenizer,
    load_training_model,
    pad_token_id,
    parameter_counts,
    resolve_model_source,
    target_modules_for,
)
from .plan import make_plan, resolve_precision
from .protocol import ProgressWriter, log
from .spec import JobSpec
from .speed import EAGER, FLASH, SDPA, Speed, decide_packing, needs_checkpointing, resolve_speed
from .train import Trainer


def create_backend(spec: JobSpec, writer: ProgressWriter, cancel: CancelToken) -> "TorchBackend":
    return TorchBackend(spec, writer, cancel)


def merge_adapter(base_model: str, task_dir: Path, lora_dir: Path, output_dir: Path, cancel: CancelToken) -> Path:
    return merging.merge_adapter(base_model, task_dir, lora_dir, output_dir, cancel)


class TorchBackend:
    def __init__(self, spec: JobSpec, writer: ProgressWriter, cancel: CancelToken):
        import torch

        self.torch = torch
        self.spec = spec
        self.writer = writer
        self.cancel = cancel
        hp = spec.hyperparameters
        cuda = torch.cuda.is_available()
        self.parallel: Any = None
        if current_rank().distributed:
            from .parallel import Parallel

            self.parallel = Parallel.start(spec.distributed.parallelism if spec.distributed else "ddp")
            self.device = self.parallel.device
        else:
            self.device = torch.device("cuda", torch.cuda.current_device()) if cuda else torch.device("cpu")
        self.precision = resolve_precision(hp.precision, self.device.type, cuda and torch.cuda.is_bf16_supported())
        if (spec.method == "qlora" or hp.load_in_8bit) and not cuda:
            raise TrainerError(UNSUPPORTED, "quantized training (qlora, load_in_8bit) needs a CUDA GPU")
        where = torch.cuda.get_device_name(self.device) if cuda else "CPU (no CUDA GPU visible)"
        log(f"device {where}, precision {self.precision}, torch {torch.__version__}")
        self.resume_state = read_state(spec.resume_from) if spec.resume_from else None
        self.source = ""
        self.model: Any = None
        self.tokenizer: Any = None
        self.saved_dtype: Any = None
        self.samples: list = []
        self.eval_samples: list = []
        self.plan = None
        self.trainer: Trainer | None = None
        self.wrapped: Any = None
        self.decay_names: set[str] | None = None
        self.speed: Speed | None = None
        self.packed = False

    @property
    def is_main(self) -> bool:
        return self.parallel is None or self.parallel.is_main

    def load_model(self) -> None:
        from transformers import set_seed

        spec, hp = self.spec, self.spec.hyperparameters
        set_seed(hp.seed)
        self.source = resolve_model_source(spec.base_model, spec.task_dir)
        config = load_config(self.source)
        self.saved_dtype = config_dtype(config)
        self.tokenizer = load_tokenizer(self.source)
        resume_model = spec.resume_from / MODEL_DIR if spec.resume_from else None
        fsdp = self.parallel is not None and self.parallel.fsdp
        load_to = self.torch.device("cpu") if fsdp else self.device  # FSDP shards it onto the GPU unit by unit
        self.speed = resolve_speed(hp, self.device.type == "cuda", self.precision, config.model_type)
        log("speed: " + ", ".join(self.speed.notes))
        self.model = load_training_model(
            self.source,
            config.model_type,
            spec.method,
            hp,
            self.precision,
            load_to,
            resume_model,
            # auto without flash-attention: transformers' own default (SDPA where the architecture has it, else eager)
            attention=self.speed.attention if hp.attn_implementation != "auto" or self.speed.flatten else None,
            liger=self.speed.liger,
            checkpointing=self._needs_checkpointing,
        )
        actual = getattr(getattr(self.model, "config", None), "_attn_implementation", None)
        if actual in (SDPA, EAGER, FLASH) and actual != self.speed.attention:
            log(f"attention {actual} (what {config.model_type} supports)")
            self.speed = dataclasses.replace(self.speed, attention=actual)
        trainable, total = parameter_counts(self.model)
        log(
            f"loaded {self.source} ({config.model_type}): {total:,} parameters, {trainable:,} trainable "
            f"({100 * trainable / max(1, total):.2f}%)"
        )
        if self.parallel is not None:
            self.decay_names = {n for n, p in self.model.named_parameters() if p.requires_grad and p.ndim >= 2}
            self.wrapped = self.parallel.wrap(self.model)
            log(f"model wrapped for {self.parallel.parallelism} over {self.parallel.world_size} processes")

    def _needs_checkpointing(self, model: Any) -> bool:
        """``gradient_checkpointing: auto`` with the base model loaded (before PEFT): on when the memory estimate of a
        step without it exceeds the GPU's free memory (:func:`.speed.needs_checkpointing`); off on the CPU."""
        hp, method = self.spec.hyperparameters, self.spec.method
        if self.device.type != "cuda":
            log("gradient checkpointing off (auto): training on the CPU")
            return False
        free, _total = self.torch.cuda.mem_get_info(self.device)
        if method == "full":
            trainable = sum(p.numel() for p in model.parameters())
        else:
            targets = target_modules_for(model.config.model_type, hp.lora_target_modules)
            trainable = sum(
                hp.lora_r * (module.in_features + module.out_features)
                for name, module in model.named_modules()
                if isinstance(module, self.torch.nn.Linear)
                and (name.rsplit(".", 1)[-1] in targets if targets != "all-linear" else "lm_head" not in name)
            )
        verdict, reason = needs_checkpointing(
            model.config,
            method,
            self.precision,
            hp.batch_size * hp.max_length,
            trainable,
            method == "full",
            free,
        )
        log(reason)
        return verdict

    def prepare_data(self) -> None:
        hp = self.spec.hyperparameters
        conversations = load_conversations(self.spec.dataset_path)
        encoder = ChatEncoder(self.tokenizer, hp.max_length)
        examples, stats = encode_conversations(encoder, conversations)
        log(stats.describe())
        attention = self.speed.attention if self.speed is not None else "sdpa"
        self.packed, why = decide_packing(
            hp.packing, attention, hp.max_length, [len(e.input_ids) for e in examples], hp.batch_size, hp.seed
        )
        log(why)
        self.samples = pack(examples, hp.max_length, hp.seed) if self.packed else as_samples(examples)
        world = self.parallel.world_size if self.parallel is not None else 1
        self.plan = make_plan(len(self.samples), hp, world)
        log(
            f"{len(self.samples)} rows{' (packed)' if self.packed else ''}, {self.plan.steps_per_epoch} "
            f"steps/epoch, {self.plan.total_steps} steps, {self.plan.warmup_steps} warmup; effective batch "
            f"{hp.batch_size * hp.gradient_accumulation_steps * world}"
            + (f" ({hp.batch_size} per process x {world} processes)" if world > 1 else "")
        )
        if self.spec.validation_path is not None:
            # Never packed: each validation conversation counts once, the same rows at every evaluation.
            # A missing or empty file is dataset_empty, one without a usable row dataset_invalid, like the dataset.
            held_out, held_stats = encode_conversations(encoder, load_conversations(self.spec.validation_path))
            self.eval_samples = as_samples(held_out)
            log(f"validation: {held_stats.describe()}")

    def _save_model(self, directory: Path | None) -> None:
        """A checkpoint's model (adapter or whole weights); distributed, every rank calls it (FSDP gathers the model)
        and rank 0 (``directory`` not ``None``) writes."""
        if self.parallel is None:
            self.model.save_pretrained(directory)
            self.tokenizer.save_pretrained(directory)
            return
        state = self.parallel.model_state()
        if directory is not None:
            self.model.save_pretrained(directory, state_dict=state)
            self.tokenizer.save_pretrained(directory)

    def train(self) -> None:
        spec, hp = self.spec, self.spec.hyperparameters
        metadata = {
            "task_id": spec.task_id,
            "method": spec.method,
            "base_model": self.source,
            "total_steps": self.plan.total_steps,
            "lora_r": hp.lora_r,
            "lora_alpha": hp.lora_alpha,
        }
        saver = CheckpointSaver(
            spec.checkpoints_dir,
            self._save_model,
            metadata,
            hp.save_total_limit,
            self.writer,
            spec.task_dir,
            main=self.is_main,
            barrier=self.parallel.barrier if self.parallel is not None else None,
        )
        validation = None
        if self.eval_samples:
            validation = Validation(
                hp.eval_steps or default_eval_steps(self.plan.total_steps), hp.early_stopping_patience
            )
            log(
                f"evaluating on {len(self.eval_samples)} validation rows every {validation.every} steps"
                + (f", early stopping after {validation.patience}" if validation.patience else "")
            )
        trainer = Trainer(
            self.wrapped if self.wrapped is not None else self.model,
            self.samples,
            hp,
            self.plan,
            self.device,
            self.precision,
            pad_token_id(self.tokenizer),
            self.writer,
            self.cancel,
            saver,
            self.eval_samples,
            validation,
            self.parallel,
            self.decay_names,
            attention=self.speed.attention,
            fused_optimizer=self.speed.fused_optimizer,
        )
        self.trainer = trainer
        if self.resume_state is not None:
            trainer.load_state_dict(load_training_state(spec.resume_from))
            if self.resume_state.get("total_steps") != self.plan.total_steps:
                log(
                    f"note: the checkpoint was taken in a run of {self.resume_state.get('total_steps')} steps, "
                    f"this run has {self.plan.total_steps}"
                )
            log(f"resumed from {spec.resume_from} at step {trainer.step}")
            if validation is not None:
                validation.resume(self.resume_state)
                best = trainer.best_checkpoint()
                if best is not None and best.is_dir():
                    saver.protect(best)
                    log(f"best so far: {best.name} (eval_loss {validation.best_eval_loss:.4f})")
        trainer.run()

    def best_checkpoint(self) -> tuple[Path, int, float] | None:
        """The checkpoint the model artifacts are written from, with its step and eval loss (validation only)."""
        best = self.trainer.best_checkpoint() if self.trainer is not None else None
        if best is None or not (best / MODEL_DIR).is_dir():
            return None
        validation = self.trainer.validation
        return best, validation.best_step, validation.best_eval_loss

    def _load_best(self) -> None:
        """Put the best checkpoint's weights into the model before saving, unless the model already is it."""
        best = self.best_checkpoint()
        if best is None or best[1] == self.trainer.step:
            return
        log(f"writing the model of the best checkpoint {best[0].name} (eval_loss {best[2]:.4f})")
        if self.spec.method == "full":
            from transformers import AutoModelForCausalLM

            self.model = None
            gc.collect()
            # Loaded on the CPU: the trainer still holds the last weights and the optimizer state on the GPU.
            self.model = AutoModelForCausalLM.from_pretrained(
                str(best[0] / MODEL_DIR), **dtype_kwargs(self.saved_dtype)
            )
        else:
            from peft import set_peft_model_state_dict
            from peft.utils import load_peft_weights

            set_peft_model_state_dict(self.model, load_peft_weights(str(best[0] / MODEL_DIR), device=str(self.device)))

    def save(self) -> list[tuple[str, Path]]:
        if self.parallel is not None:
            return self._save_distributed()
        spec = self.spec
        self._load_best()
        if spec.method == "full":
            # The fine-tuned model itself: in the base checkpoint's dtype, ready to serve.
            self.model.config.use_cache = True
            self.model.to(self.saved_dtype)
            with staged_dir(spec.merged_dir) as staging:
                self._save_model(staging)
                merging.write_generation_config(self.model, self.source, staging)
            return [("merged_model", spec.merged_dir)]
        with staged_dir(spec.lora_dir) as staging:
            self._save_model(staging)
        return [("lora", spec.lora_dir)]

    def _save_distributed(self) -> list[tuple[str, Path]]:
        """Every rank: the artifacts from the best checkpoint's files (rank 0 alone, no collective), or from the model
        gathered whole (all ranks); then all leave the process group. Rank 0 returns the artifacts, others nothing."""
        spec, parallel = self.spec, self.parallel
        # Decided from the validation state, alike on every rank (the checkpoint's files may be on node 0 alone).
        validation = self.trainer.validation
        from_best = validation is not None and validation.best_step not in (None, self.trainer.step)
        best = self.best_checkpoint() if from_best and parallel.is_main else None
        if from_best and parallel.is_main and best is None:
            raise TrainerError(INTERNAL, f"the best checkpoint (step {validation.best_step}) is missing")
        state = None if from_best else parallel.model_state()
        artifacts: list[tuple[str, Path]] = []
        if parallel.is_main:
            if from_best:
                log(f"writing the model of the best checkpoint {best[0].name} (eval_loss {best[2]:.4f})")
            target = spec.merged_dir if spec.method == "full" else spec.lora_dir
            with staged_dir(target) as staging:
                if spec.method != "full":
                    if from_best:
                        shutil.copytree(best[0] / MODEL_DIR, staging, dirs_exist_ok=True)
                    else:
                        self.model.save_pretrained(staging, state_dict=state)
                        self.tokenizer.save_pretrained(staging)
                else:
                    self._write_full_model(staging, best[0] / MODEL_DIR if from_best else None, state)
            artifacts.append(("merged_model" if spec.method == "full" else "lora", target))
        parallel.barrier()
        parallel.finish()
        self.trainer.optimizer = None
        self.wrapped = None
        return artifacts

    def _write_full_model(self, directory: Path, checkpoint_model: Path | None, state: dict | None) -> None:
        """Rank 0: the fine-tuned model in the base checkpoint's dtype, from a checkpoint folder or a gathered state."""
        if checkpoint_model is not None:
            from transformers import AutoModelForCausalLM

            model = AutoModelForCausalLM.from_pretrained(str(checkpoint_model), **dtype_kwargs(self.saved_dtype))
            model.config.use_cache = True
            model.save_pretrained(directory)
        else:
            state = {
                k: v.detach().to(device="cpu", dtype=self.saved_dtype) if v.is_floating_point() else v
                for k, v in state.items()
            }
            self.model.config.use_cache = True
            self.model.save_pretrained(directory, state_dict=state)
            _set_config_dtype(directory, self.saved_dtype)  # save_pretrained names the dtype of the fp32 training copy
            model = self.model
        self.tokenizer.save_pretrained(directory)
        merging.write_generation_config(model, self.source, directory)

    def merge(self) -> Path:
        self.model = None
        self.trainer = None
        gc.collect()
        if self.device.type == "cuda":
            self.torch.cuda.empty_cache()
        return merging.merge_adapter(
            self.source, self.spec.task_dir, self.spec.lora_dir, self.spec.merged_dir, self.cancel
        )


def _set_config_dtype(directory: Path, dtype: Any) -> None:
    path = directory / "config.json"
    config = json.loads(path.read_text(encoding="utf-8"))
    name = str(dtype).replace("torch.", "")
    for key in ("torch_dtype", "dtype"):
        if key in config:
            config[key] = name
    path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
