"""SAGE Studio's default trainer: LoRA / QLoRA / full fine-tuning speaking the trainer protocol.

Run it as ``python3 -m sage_trainer --spec job.json`` with the task directory as working directory.
Only the standard library is imported at start-up; torch, transformers and peft are imported once
the job is known to need them, so a machine without them gets a ``missing_dependency`` protocol line.
"""

__version__ = "0.1.0"
