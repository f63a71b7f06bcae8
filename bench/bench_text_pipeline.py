"""Throughput of the text pipeline steps on a demo warehouse, against a baseline revision in the same run.

    python bench/bench_text_pipeline.py --scale 0.05                       # builds a warehouse in a temp dir
    python bench/bench_text_pipeline.py --db demo.db --baseline ecd003e    # copy of a warehouse, vs. a baseline

Every run is a fresh copy of the warehouse and an empty model cache (so ``text_features`` includes training),
in its own process; its workers' CPU is counted as children. With ``--baseline REV`` the same steps also run
with the text-pipeline modules this area owns (``BASELINE_MODULES``) as they were at REV, everything else as in
the working tree, alternating with the current code ``--repeats`` times; the report gives medians, the ratios
baseline / current, and whether both wrote identical ``derived_complaint_feature`` rows (all columns but
``computed_at``). Reported per step: wall and CPU seconds (process + workers), both per 10k orders and
extrapolated linearly to the ~480k orders of scale 1.0, the 1-minute load average before and after each run,
the machine, and the quality report of text_mining.pipeline_quality on the current code's output. Wall time on a shared machine says little; CPU seconds say what the step costs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FULL_SCALE_ORDERS = 480_234  # 12345 orders of the scale-1.0 demo warehouse (seed 1, to 2026-10-31)
BASELINE_MODULES = ["text_mining/features_step.py", "text_mining/hot_topics_step.py", "text_mining/warehouse_model.py", "text_mining/reply_quality.py",
                    "text_mining/severity.py", "text_mining/repeats.py", "text_mining/hot_issues.py",
                    "text_mining/hotwords.py"]
FEATURE_COLUMNS = ("ticket_id, tokens, predicted_category_code, category_confidence, routed_dept_code, needs_triage, "
                   "severity, business_mention, linked_subject_uscc, reply_quality")

# Runs in a fresh interpreter whose working directory is the code tree under test.
DRIVER = """
import json, os, resource, sys, time
sys.path.insert(0, os.getcwd())
from data_access import migrate
from data_access.db import make_engine
try:  # revisions before 2026-12-07 had both steps in one module
    from text_mining import pipeline_step as features_step, pipeline_step as hot_topics_step
except ImportError:
    from text_mining import features_step, hot_topics_step
STEPS = {"text_features": features_step.text_features, "hot_topics": hot_topics_step.hot_topics}

def children():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime

engine = make_engine(sys.argv[1])
migrate.upgrade(engine)
out = {}
for name in sys.argv[2:]:
    load, wall, cpu, kids = os.getloadavg()[0], time.perf_counter(), time.process_time(), children()
    with engine.begin() as conn:
        rows = STEPS[name](conn)
    out[name] = {"rows": rows, "wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu,
                 "workers_cpu_s": children() - kids, "load_before": load, "load_after": os.getloadavg()[0]}
engine.dispose()
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--db", type=Path, help="existing demo warehouse (SQLite) to copy instead of building one")
    parser.add_argument("--baseline", help="git revision whose text-pipeline modules are the baseline")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each code version (medians reported)")
    parser.add_argument("--steps", nargs="+", default=["text_features", "hot_topics"],
                        choices=["text_features", "hot_topics"])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_text_"))
    try:
        source = args.db or _build(work / "demo.db", args.scale)
        orders = sqlite3.connect(source).execute("SELECT count(*) FROM fact_hotline_ticket").fetchone()[0]
        trees = {"current": REPO}
        if args.baseline:
            trees["baseline"] = _baseline_tree(work / "baseline", args.baseline)
        runs: dict[str, list[dict]] = {name: [] for name in trees}
        for k in range(args.repeats):
            for name, tree in trees.items():
                runs[name].append(_run(tree, source, work / f"{name}_{k}", args.steps))
        report = {"machine": _machine(), "warehouse": str(args.db or f"demo scale {args.scale}, seed 7"),
                  "orders": orders, "baseline": args.baseline, "repeats": args.repeats,
                  "steps": {name: _summary([r["steps"] for r in rs], orders) for name, rs in runs.items()},
                  "loads": {name: [(s["load_before"], s["load_after"]) for r in rs for s in r["steps"].values()]
                            for name, rs in runs.items()}}
        if args.baseline:
            report["ratio_baseline_over_current"] = _ratios(report["steps"])
            report["identical_feature_rows"] = all(_features(rs["db"]) == _features(runs["baseline"][0]["db"])
                                                   for rs in runs["current"] + runs["baseline"][1:])
        if "text_features" in args.steps:
            report["quality"] = _quality(runs["current"][0]["db"])
        print(json.dumps(report, indent=1, ensure_ascii=False, default=str))
    finally:
        shutil.rmtree(work)


def _build(path: Path, scale: float) -> Path:
    sys.path.insert(0, str(REPO))
    from data_access import warehouse
    from data_access.db import make_engine
    from demo.load import load_demo

    engine = make_engine(f"sqlite:///{path}")
    warehouse.init(engine)
    load_demo(engine, scale=scale, seed=7, end=dt.date(2026, 6, 30))
    engine.dispose()
    return path


def _baseline_tree(tree: Path, revision: str) -> Path:
    """The working tree's tracked files, with BASELINE_MODULES as they were at ``revision``."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, check=True, capture_output=True).stdout
    for name in filter(None, files.decode().split("\0")):
        if (REPO / name).is_file():
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, tree / name)
    for name in (*BASELINE_MODULES, "text_mining/pipeline_step.py"):
        old = subprocess.run(["git", "show", f"{revision}:{name}"], cwd=REPO, capture_output=True)
        if old.returncode == 0:  # a module the revision does not have keeps the working tree's copy
            (tree / name).write_bytes(old.stdout)
    return tree


def _run(tree: Path, source: Path, work: Path, steps: list[str]) -> dict:
    """The steps on a fresh copy of ``source`` with an empty model cache, in a new process run from ``tree``."""
    work.mkdir(parents=True)
    db = work / "bench.db"
    shutil.copy(source, db)
    env = {**os.environ, "BIANJIAN_VAR_DIR": str(work / "var"), "PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, "-c", DRIVER, f"sqlite:///{db}", *steps], cwd=tree, env=env,
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"run in {tree} failed:\n{done.stderr}")
    return {"db": db, "steps": json.loads(done.stdout.strip().splitlines()[-1])}


def _summary(runs: list[dict], orders: int) -> dict:
    """Medians over runs, per step: seconds, per 10k orders, and extrapolated to FULL_SCALE_ORDERS."""
    out = {}
    for step in runs[0]:
        wall = statistics.median(r[step]["wall_s"] for r in runs)
        cpu = statistics.median(r[step]["cpu_s"] + r[step]["workers_cpu_s"] for r in runs)
        parent = statistics.median(r[step]["cpu_s"] for r in runs)
        out[step] = {"rows": runs[0][step]["rows"], "wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
                     "parent_cpu_s": round(parent, 1),
                     "wall_s_per_10k": round(wall / orders * 10_000, 2), "cpu_s_per_10k": round(cpu / orders * 10_000, 2),
                     "cpu_s_at_480k": round(cpu / orders * FULL_SCALE_ORDERS)}
    return out


def _ratios(steps: dict) -> dict:
    return {step: {key: round(steps["baseline"][step][key] / steps["current"][step][key], 2)
                   for key in ("wall_s", "cpu_s")} for step in steps["current"]}


def _features(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(f"SELECT {FEATURE_COLUMNS} FROM derived_complaint_feature ORDER BY ticket_id").fetchall()


def _quality(db: Path) -> dict:
    sys.path.insert(0, str(REPO))
    from data_access.db import make_engine
    from text_mining.pipeline_quality import quality_report

    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        report = quality_report(conn)
    engine.dispose()
    return report


def _machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return {"cpus": os.cpu_count(), "cpu": model, "python": platform.python_version()}


if __name__ == "__main__":
    main()
