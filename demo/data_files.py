"""The demo's templates and word lists: TOML files in ``demo/data/`` (package data), each parsed once."""

from __future__ import annotations

import functools
import tomllib
from importlib import resources


@functools.cache
def load(name: str) -> dict:
    """``demo/data/<name>.toml`` as a dict (parsed once per process; callers copy what they keep)."""
    text = resources.files(__package__).joinpath("data", f"{name}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)
