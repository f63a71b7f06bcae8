"""Throughput of the text pipeline steps on a generated demo warehouse, extrapolated to scale 1.0.

    python bench/bench_text_pipeline.py --scale 0.05            # builds a warehouse in a temp dir
    python bench/bench_text_pipeline.py --db /path/to/demo.db   # or uses a copy of an existing one

Prints, for ``text_features`` (cold: the category model is trained) and ``hot_topics``: wall seconds,
the parent's and the worker processes' CPU seconds, and "alone" seconds (parent CPU + worker CPU / workers:
what the step takes on an otherwise idle 2-core machine, since the machine running it is shared); the
extrapolation of the alone seconds to the ~450k orders of scale 1.0 (linear in orders: segmentation
dominates; hot_topics only reads a recent window, so this overstates it); the 1-minute load average
before and after; and the quality report of text_mining.pipeline_quality.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

FULL_SCALE_ORDERS = 450_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--db", type=Path, help="existing demo warehouse (SQLite) to copy instead of building one")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_text_"))
    os.environ["BIANJIAN_VAR_DIR"] = str(work / "var")  # a cold model cache: the run includes training

    from sqlalchemy import func, select

    import settings
    from data_access import migrate, warehouse
    from data_access.db import make_engine
    from data_access.schema import HotlineTicket
    from text_mining.pipeline_quality import quality_report
    from text_mining.pipeline_step import hot_topics, text_features

    path = work / "bench.db"
    if args.db:
        shutil.copy(args.db, path)
    engine = make_engine(f"sqlite:///{path}")
    if args.db:
        migrate.upgrade(engine)
    else:
        warehouse.init(engine)
        warehouse.load_demo(engine, scale=args.scale, seed=7, end=dt.date(2026, 6, 30))
    with engine.connect() as conn:
        orders = conn.execute(select(func.count()).select_from(HotlineTicket)).scalar_one()
    report = {"orders": orders, "load_before": os.getloadavg()[0], "cpus": os.cpu_count()}
    workers = int(settings.get("text_workers"))
    for step in (text_features, hot_topics):
        started, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
        with engine.begin() as conn:
            rows = step(conn)
        seconds = time.perf_counter() - started
        cpu, children = time.process_time() - cpu, _children_cpu() - children
        # What the step would take alone on the 2 cores: the parent's CPU plus the workers' CPU shared
        # among them (an upper bound, since the parent links while the workers segment).
        alone = cpu + children / max(workers, 1)
        report[step.__name__] = {"rows": rows, "wall_s": round(seconds, 1), "orders_per_s_wall": round(orders / seconds),
                                 "parent_cpu_s": round(cpu, 1), "worker_cpu_s": round(children, 1),
                                 "alone_s": round(alone, 1), "orders_per_s_alone": round(orders / alone)}
    report["load_after"] = os.getloadavg()[0]
    alone_s = report["text_features"]["alone_s"] + report["hot_topics"]["alone_s"]
    report["extrapolated_full_scale_alone_s"] = round(FULL_SCALE_ORDERS / orders * alone_s)
    with engine.connect() as conn:
        report["quality"] = quality_report(conn)
    engine.dispose()
    shutil.rmtree(work)
    print(json.dumps(report, indent=1, ensure_ascii=False, default=str))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
