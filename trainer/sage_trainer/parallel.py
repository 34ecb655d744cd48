"""Inside one worker of a distributed run (torch): the process group, the model wrapped for DDP or FSDP, the few
collectives the training loop needs, and model/optimizer states gathered whole, so that a checkpoint does not depend
on the world size it was taken at.

Written against torch >= 2.1 (``torch.distributed.fsdp`` with ``use_orig_params``, ``FSDP.state_dict_type``,
``FSDP.optim_state_dict``), torch directly rather than accelerate: the training loop is this package's own.

- **Process group**: NCCL on the CUDA GPU ``LOCAL_RANK`` (of those ``CUDA_VISIBLE_DEVICES`` shows), gloo on the CPU
  where no GPU is visible (the path the tests take).
- **DDP** replicates the model (``broadcast_buffers=False``: a causal LM's buffers, e.g. rotary tables, are computed
  alike on every rank); gradient accumulation skips the all-reduce until the step's last micro-batch (``no_sync``).
- **FSDP** (``FULL_SHARD``, ``use_orig_params=True``) wraps each decoder layer (the model's ``_no_split_modules``)
  and, for LoRA, each trainable leaf (the adapters: their fp32 weights apart from the frozen bf16 base, as PEFT's own
  FSDP policy does); it shards from the CPU, where the backend loads the model, layer by layer onto the GPU.
- **States**: the model's full state dict and the optimizer's full state (FSDP: gathered, offloaded to the CPU, on
  rank 0 only) are what rank 0 saves; an FSDP optimizer state is keyed by parameter name, so it loads at any world
  size. A checkpoint of one parallelism resumes the weights under another, the optimizer only under its own format.
"""

from __future__ import annotations

import contextlib
import functools
from datetime import timedelta
from typing import Any, Iterable

from .deps import version_tuple
from .distributed import Rank, current_rank
from .errors import UNSUPPORTED, TrainerError
from .protocol import log

PROCESS_GROUP_TIMEOUT = timedelta(minutes=30)  # rank 0 writing a large checkpoint keeps the others waiting
OPTIMIZER_IDS = "ids"  # torch's optimizer.state_dict(): by parameter position (one process, DDP)
OPTIMIZER_NAMES = "names"  # FSDP.optim_state_dict(): by parameter name


def clean_name(name: str) -> str:
    """A parameter's name without what DDP/FSDP/activation checkpointing put in front of it."""
    for wrapper in ("_fsdp_wrapped_module.", "_checkpoint_wrapped_module.", "_orig_mod."):
        name = name.replace(wrapper, "")
    return name[len("module.") :] if name.startswith("module.") else name


class Parallel:
    def __init__(self, rank: Rank, parallelism: str, device: Any):
        import torch

        self.torch = torch
        self.rank = rank
        self.parallelism = parallelism
        self.device = device
        self.wrapped: Any = None

    @classmethod
    def start(cls, parallelism: str) -> "Parallel":
        """Join the process group torch's launcher set up (``MASTER_ADDR``/``MASTER_PORT``/``RANK``/``WORLD_SIZE``)."""
        import torch
        import torch.distributed as dist

        rank = current_rank()
        if torch.cuda.is_available():
            visible = torch.cuda.device_count()
            if rank.local_rank >= visible:
                raise TrainerError(
                    UNSUPPORTED,
                    f"rank {rank.rank} is local rank {rank.local_rank} of this node but only {visible} CUDA GPU(s) "
                    "are visible (CUDA_VISIBLE_DEVICES); distributed.nproc_per_node must not exceed them",
                )
            torch.cuda.set_device(rank.local_rank)
            device, backend = torch.device("cuda", rank.local_rank), "nccl"
        else:
            device, backend = torch.device("cpu"), "gloo"
        if parallelism == "fsdp" and device.type == "cpu" and version_tuple(torch.__version__) < (2, 4):
            raise TrainerError(UNSUPPORTED, "fsdp without a CUDA GPU needs torch >= 2.4; use ddp or a GPU")
        dist.init_process_group(backend=backend, timeout=PROCESS_GROUP_TIMEOUT)
        log(f"rank {rank.rank}/{rank.world_size} joined ({backend}, {parallelism}, device {device})")
        return cls(rank, parallelism, device)

    @property
    def world_size(self) -> int:
        return self.rank.world_size

    @property
    def is_main(self) -> bool:
        return self.rank.is_main

    @property
    def fsdp(self) -> bool:
        return self.parallelism == "fsdp"

    # --- the model ------------------------------------------------------------------------------

    def wrap(self, model: Any) -> Any:
        """``model`` (on ``device`` for DDP, on the CPU for FSDP) wrapped for training; ``unwrap`` gives it back."""
        if self.fsdp:
            from torch.distributed.fsdp import FullyShardedDataParallel, ShardingStrategy

            self.wrapped = FullyShardedDataParallel(
                model,
                auto_wrap_policy=fsdp_policy(model),
                sharding_strategy=ShardingStrategy.FULL_SHARD,
                device_id=self.device,
                use_orig_params=True,
                limit_all_gathers=True,
            )
        else:
            from torch.nn.parallel import DistributedDataParallel

            self.wrapped = DistributedDataParallel(
                model,
                device_ids=[self.device.index] if self.device.type == "cuda" else None,
                broadcast_buffers=False,
            )
        return self.wrapped

    def unwrap(self) -> Any:
        return self.wrapped.module

    def no_sync(self, last: bool):
        """DDP: no gradient all-reduce before the step's last micro-batch. FSDP reduces each micro-batch (its
        ``no_sync`` would keep whole unsharded gradients)."""
        if last or self.fsdp:
            return contextlib.nullcontext()
        return self.wrapped.no_sync()

    def eval_module(self) -> Any:
        """What evaluates: DDP's module itself (no DDP hooks in a forward without backward), FSDP's wrapper (it must
        gather the shards)."""
        return self.wrapped if self.fsdp else self.wrapped.module

    def clip_grad_norm(self, params: list, max_norm: float):
        """The norm of the whole gradient, clipped: FSDP's over all shards, DDP's local gradient is already whole."""
        if self.fsdp:
            return self.wrapped.clip_grad_norm_(max_norm)
        return self.torch.nn.utils.clip_grad_norm_(params, max_norm)

    # --- collectives ------------------------------------------------------------------------------

    def sum(self, values: Iterable[float]) -> list[float]:
        import torch.distributed as dist

        tensor = self.torch.tensor(list(values), dtype=self.torch.float64, device=self.device)
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        return tensor.tolist()

    def any(self, flag: bool) -> bool:
        """True on every rank when it is true on one: a stop request, agreed at the same micro-batch everywhere."""
        import torch.distributed as dist

        tensor = self.torch.tensor([1 if flag else 0], dtype=self.torch.int32, device=self.device)
        dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
        return bool(tensor.item())

    def barrier(self) -> None:
        import torch.distributed as dist

        if self.device.type == "cuda":
            dist.barrier(device_ids=[self.device.index])
        else:
            dist.barrier()

    def finish(self) -> None:
        """Leave the process group (every rank, after its last collective)."""
        import torch.distributed as dist

        if dist.is_initialized():
            dist.destroy_process_group()

    # --- whole states -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _full_state(self, rank0_only: bool):
        from torch.distributed.fsdp import (
            FullOptimStateDictConfig,
            FullStateDictConfig,
            FullyShardedDataParallel,
            StateDictType,
        )

        offload = self.device.type == "cuda"  # on the CPU already (offloading a CPU model crashes torch 2.13)
        with FullyShardedDataParallel.state_dict_type(
            self.wrapped,
            StateDictType.FULL_STATE_DICT,
            FullStateDictConfig(offload_to_cpu=offload, rank0_only=rank0_only),
            FullOptimStateDictConfig(offload_to_cpu=offload, rank0_only=rank0_only),
        ):
            yield

    def model_state(self) -> dict | None:
        """The whole model's state dict on rank 0 (CPU tensors under FSDP), ``None`` elsewhere. Every rank calls it."""
        if not self.fsdp:
            return self.wrapped.module.state_dict() if self.is_main else None
        with self._full_state(rank0_only=True):
            state = self.wrapped.state_dict()
        return state if self.is_main else None

    def optimizer_state(self, optimizer: Any) -> tuple[str, dict | None]:
        """The optimizer's whole state and its format on rank 0 (``None`` elsewhere). Every rank calls it."""
        if not self.fsdp:
            return OPTIMIZER_IDS, optimizer.state_dict() if self.is_main else None
        from torch.distributed.fsdp import FullyShardedDataParallel

        with self._full_state(rank0_only=True):
            state = FullyShardedDataParallel.optim_state_dict(self.wrapped, optimizer)
        return OPTIMIZER_NAMES, state if self.is_main else None

    def optimizer_format(self) -> str:
        return OPTIMIZER_NAMES if self.fsdp else OPTIMIZER_IDS

    def load_optimizer_state(self, optimizer: Any, state: dict) -> None:
        """Load a whole optimizer state (each rank read the checkpoint) into this rank's optimizer (its shard)."""
        if not self.fsdp:
            optimizer.load_state_dict(state)
            return
        from torch.distributed.fsdp import FullyShardedDataParallel

        with self._full_state(rank0_only=False):
            optimizer.load_state_dict(FullyShardedDataParallel.optim_state_dict_to_load(self.wrapped, optimizer, state))


def fsdp_policy(model: Any):
    """FSDP units: each decoder layer (the classes a transformers model names in ``_no_split_modules``) and, when some
    parameters are frozen (LoRA), each leaf module with a trainable weight, so that one unit never mixes frozen base
    weights with trainable adapters of another dtype. ``None`` (one unit) for a model that names no layer class."""
    from torch.distributed.fsdp.wrap import _or_policy, lambda_auto_wrap_policy, transformer_auto_wrap_policy

    names: set[str] = set()
    for module in model.modules():
        names |= set(getattr(module, "_no_split_modules", None) or ())
    layers = {type(module) for module in model.modules() if type(module).__name__ in names}
    policies = []
    if layers:
        policies.append(functools.partial(transformer_auto_wrap_policy, transformer_layer_cls=layers))
    if any(not p.requires_grad for p in model.parameters()) and any(p.requires_grad for p in model.parameters()):

        def trainable_leaf(module: Any) -> bool:
            weight = getattr(module, "weight", None)
            return not list(module.children()) and weight is not None and weight.requires_grad

        policies.append(functools.partial(lambda_auto_wrap_policy, lambda_fn=trainable_leaf))
    if not policies:
        return None
    return policies[0] if len(policies) == 1 else functools.partial(_or_policy, policies=policies)
