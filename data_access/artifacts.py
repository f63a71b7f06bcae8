"""Model files and other artefacts written so that a crash never leaves half a file behind.

A pipeline killed (SIGKILL, power loss) while ``joblib.dump`` was writing used to leave an empty or
truncated model that every later run failed to load (EOFError). :func:`dump` writes a temporary file in
the same directory, flushes it to disk and renames it over the target (``os.replace`` is atomic on POSIX
and Windows), so readers see the old file or the new one, never a part. :func:`load_or_none` treats a file
that cannot be read back as absent — logged, moved aside as ``*.corrupt`` — so the caller recomputes it.
"""

from __future__ import annotations

import logging
import os
import pickle
import tempfile
import zlib
from pathlib import Path
from typing import Any

import joblib

log = logging.getLogger(__name__)

# What a truncated, empty or foreign file raises while unpickling.
UNREADABLE = (EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError, ImportError, IndexError,
              KeyError, zlib.error, OSError)


def dump(obj: Any, path: str | Path) -> Path:
    """``joblib.dump(obj, path)``, atomically: the file appears complete or not at all."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            joblib.dump(obj, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_or_none(path: str | Path) -> Any | None:
    """The object saved at ``path``, or None when the file is missing or unreadable (then moved aside)."""
    path = Path(path)
    try:
        return joblib.load(path)
    except FileNotFoundError:
        return None
    except UNREADABLE as exc:
        log.warning("artefact %s is unreadable (%s: %s); treating it as absent and moving it aside",
                    path, type(exc).__name__, exc)
        path.replace(path.with_name(path.name + ".corrupt"))
        return None
