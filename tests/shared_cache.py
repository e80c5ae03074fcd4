"""One computation per test session, shared by the xdist workers.

`functools.cache` keeps a committed stack's plan once per worker process; with two workers
each planned every committed stack (and its cheapest variant) again. `shared(key, compute)`
keeps the value in a session folder the controller creates (`SESSION_DIR`): the first worker to
ask computes it under a file lock and writes it, the others wait for it and read it. Values
must pickle (plans and estimates do). Outside a session folder (a plain `python -c`),
it computes.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import pickle
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

SESSION_DIR = "ACCESSWEAVER_TEST_SESSION_CACHE"
T = TypeVar("T")
_holding = threading.local()


def shared(key: tuple[object, ...], compute: Callable[[], T]) -> T:
    """The value of `compute()` for `key` (its repr names it), computed once per session."""
    directory = os.environ.get(SESSION_DIR)
    # A computation that asks for another shared value computes that one itself: waiting for
    # a lock while holding one could wait for ever on the other worker.
    if not directory or getattr(_holding, "lock", False):
        return compute()
    path = Path(directory) / hashlib.sha256(repr(key).encode()).hexdigest()
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            return pickle.loads(path.read_bytes())
        _holding.lock = True
        try:
            value = compute()
        finally:
            _holding.lock = False
        partial = path.with_suffix(".partial")
        partial.write_bytes(pickle.dumps(value))
        partial.replace(path)
        return value
