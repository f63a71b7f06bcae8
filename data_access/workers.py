"""Worker processes of the pipeline die with the process that started them.

A ``ProcessPoolExecutor`` worker blocks reading its call queue, whose write end it holds itself, so when
the pipeline is killed (SIGKILL, OOM killer) the workers — about 330 MB each with the tokenizer loaded —
would wait forever. Passing :func:`pool_options` to the executor makes each worker ask the kernel for
SIGKILL when its parent dies (Linux ``prctl(PR_SET_PDEATHSIG)``), and exit at once if the parent is
already gone by the time it starts.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
from typing import Any

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    """Pool initializer: SIGKILL this process when ``parent_pid`` (the pool's owner) dies."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before the request above took effect
        os._exit(1)


def pool_options() -> dict[str, Any]:
    """``initializer``/``initargs`` for a ProcessPoolExecutor whose workers must not outlive this process."""
    return {"initializer": die_with_parent, "initargs": (os.getpid(),)}
