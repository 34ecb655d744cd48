"""SIGTERM/SIGINT handling: cancel now, or — inside the training loop — checkpoint first.

Outside ``deferred()`` a signal raises :class:`Cancelled` at once in the main thread (loading a model,
tokenising, saving: nothing worth checkpointing yet or the work is atomic). Inside ``deferred()`` the
training loop polls ``requested`` between micro-batches, saves a checkpoint and raises itself.
A second signal, or a checkpoint that takes longer than the grace period, ends the process anyway.

A worker of a distributed run (``install(worker=True)``) also takes SIGUSR1, the stop its launcher process passes on
(reported as SIGTERM), and never treats a repeated signal as "now": the launcher process repeats its request, and
torch's launcher SIGTERMs the workers left when one rank ends first. Its launcher process kills it when it must.
"""

from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager
from typing import Callable, Iterator

from .distributed import FORWARDED_STOP
from .errors import EXIT_CANCELLED, Cancelled

DEFAULT_GRACE_SECONDS = 60.0


class CancelToken:
    def __init__(self, on_timeout: Callable[[str], None] | None = None, grace_seconds: float = DEFAULT_GRACE_SECONDS):
        self._requested = threading.Event()
        self._deferred = 0
        self._on_timeout = on_timeout
        self._grace_seconds = grace_seconds
        self._watchdog: threading.Timer | None = None
        self._escalate = True
        self.signal_name: str | None = None

    def install(self, worker: bool = False) -> None:
        signal.signal(signal.SIGTERM, self._handle)
        signal.signal(signal.SIGINT, self._handle)
        if worker:
            self._escalate = False
            signal.signal(FORWARDED_STOP, self._handle)

    @property
    def requested(self) -> bool:
        return self._requested.is_set()

    def _handle(self, signum: int, _frame) -> None:
        self.request("SIGTERM" if signum == FORWARDED_STOP else signal.Signals(signum).name)

    def request(self, name: str) -> None:
        """What a signal does: raise now, or only flag the request inside ``deferred()``."""
        if self._requested.is_set() and not self._escalate:
            return
        if self._requested.is_set() or not self._deferred:
            self._requested.set()
            self.signal_name = self.signal_name or name
            raise Cancelled(f"cancelled by {name}")
        self._requested.set()
        self.signal_name = name
        self._start_watchdog()

    def _start_watchdog(self) -> None:
        def expire() -> None:
            message = (
                f"cancelled by {self.signal_name}; the checkpoint did not finish within "
                f"{self._grace_seconds:g}s, exiting without it"
            )
            if self._on_timeout is not None:
                self._on_timeout(message)
            os._exit(EXIT_CANCELLED)

        self._watchdog = threading.Timer(self._grace_seconds, expire)
        self._watchdog.daemon = True
        self._watchdog.start()

    def stop_watchdog(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()

    def finish(self) -> None:
        """The outcome is being reported: stop the watchdog and ignore further signals."""
        self.stop_watchdog()
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(FORWARDED_STOP, signal.SIG_IGN)

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """Within this block a signal only sets ``requested``; the caller must poll it."""
        self._deferred += 1
        try:
            yield
        finally:
            self._deferred -= 1

    def raise_if_requested(self, detail: str = "") -> None:
        if self.requested:
            suffix = f"; {detail}" if detail else ""
            raise Cancelled(f"cancelled by {self.signal_name or 'signal'}{suffix}")
