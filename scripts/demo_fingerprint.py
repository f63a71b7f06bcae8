"""Fingerprint of a demo warehouse: per table, the row count and a SHA-256 of its sorted rows.

Builds a fresh SQLite warehouse with ``bianjian demo`` (in its own process, in a temporary BIANJIAN_VAR_DIR)
from a source tree — this checkout by default, or ``--tree DIR`` (e.g. ``git archive main | tar -x -C DIR``)
— and prints the fingerprint as JSON. ``--compare FILE`` exits 1 and names the tables that differ from a
fingerprint written earlier with ``--out FILE``.

Use it to show that a refactoring of ``demo/`` leaves the data unchanged: fingerprint the tree before the
change, then after it, with the same scale, seed and end day::

    git archive main | tar -x -C /tmp/before
    .venv/bin/python scripts/demo_fingerprint.py --tree /tmp/before --out /tmp/before.json
    .venv/bin/python scripts/demo_fingerprint.py --compare /tmp/before.json

Tables written by the demo logins (``bianjian demo`` creates them after the data: salted password hashes
wall-clock times and the audit chain) are left out; every table the generator writes is in.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
# Written by ``create_demo_users`` after the generator: random salts, the time of the run and the audit chain's
# head (a hash over both), kept in app_setting.
NOT_DEMO_DATA = frozenset({"app_user", "app_audit_log"})
NOT_DEMO_ROWS = {"app_setting": "WHERE key <> 'audit_head'"}


def build(tree: Path, var_dir: Path, *, scale: float, seed: int, end: str) -> Path:
    """Run ``bianjian demo`` from ``tree`` into a fresh SQLite warehouse under ``var_dir``; its path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIANJIAN_")}
    env.update(BIANJIAN_VAR_DIR=str(var_dir), PYTHONPATH=str(tree))
    run = subprocess.run([sys.executable, "-c", "import bianjian_cli; bianjian_cli.main()", "demo", "--scale",
                          str(scale), "--seed", str(seed), "--end", end, "--json"],
                         cwd=tree, env=env, capture_output=True, text=True)
    if run.returncode:
        sys.stderr.write(run.stderr)
        raise SystemExit(f"bianjian demo failed in {tree} (exit {run.returncode})")
    return var_dir / "bianjian.db"


def fingerprint(db: Path) -> dict[str, dict[str, object]]:
    """{table: {"rows": n, "sha256": hash of the rows' reprs in sorted order}} for every table of ``db``."""
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        out = {}
        for table in tables:
            if table in NOT_DEMO_DATA:
                continue
            rows = sorted(repr(row) for row in conn.execute(f'SELECT * FROM "{table}" {NOT_DEMO_ROWS.get(table, "")}'))
            digest = hashlib.sha256("\n".join(rows).encode("utf-8")).hexdigest()
            out[table] = {"rows": len(rows), "sha256": digest}
    return out


def differences(before: dict, after: dict) -> list[str]:
    """Names of the tables whose fingerprint differs (or that only one side has)."""
    return sorted(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=REPO_ROOT, help="source tree to run (default: this checkout)")
    parser.add_argument("--scale", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--end", default="2026-11-30")
    parser.add_argument("--out", type=Path, help="write the fingerprint to this JSON file")
    parser.add_argument("--compare", type=Path, help="compare with a fingerprint written earlier; exit 1 if they differ")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="demo-fingerprint-") as tmp:
        fp = fingerprint(build(args.tree.resolve(), Path(tmp), scale=args.scale, seed=args.seed, end=args.end))
    text = json.dumps(fp, indent=1, sort_keys=True)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    if args.compare:
        changed = differences(json.loads(args.compare.read_text(encoding="utf-8")), fp)
        print(f"{len(fp)} tables, {sum(t['rows'] for t in fp.values())} rows; differ: {', '.join(changed) or 'none'}",
              file=sys.stderr)
        return 1 if changed else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
