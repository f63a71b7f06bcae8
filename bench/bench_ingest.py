"""Ingestion throughput and memory: 12345 work orders from CSV, with full validation, into SQLite and PostgreSQL.

Each load is timed in-process (``ingest_file``) and as a whole process (``bianjian ingest hotline FILE``:
start-up and imports count for a user), beside the naive peer as a whole process: ``pandas.read_csv(...)
.to_sql(...)`` of the same file into the same fresh warehouse, with no validation, quarantine or lineage.
Beside each load it also times ``pandas.read_csv`` of the same file (parsing only, nothing validated or written) as
a yardstick, and our CSV reader alone on its pyarrow path and on its ``csv`` fallback. Medians over
``--repeat`` runs, the steps interleaved; every load starts from an empty, seeded warehouse. Wall rows/s
depend on what else the machine runs, so rows per CPU-second of this process are reported too, with the
load average.

    .venv/bin/python bench/bench_ingest.py --rows 200000 --repeat 3          # throughput table (markdown)
    .venv/bin/python bench/bench_ingest.py --rss-mb 200                      # peak RSS on a ~200 MB file

PostgreSQL runs against BIANJIAN_TEST_PG_DSN's server (default 127.0.0.1:5432) when reachable.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import settings  # noqa: E402
from data_access import codes  # noqa: E402
from data_access.ingest.sources import HOTLINE  # noqa: E402

HEADER = [f.label for f in HOTLINE.fields if f.column not in ("src_system", "src_id")]
PG_ADMIN_DSN = os.environ.get("BIANJIAN_TEST_PG_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=test")
PHRASES = ("小区门口", "烧烤摊", "油烟扰民", "夜间施工噪音", "预付卡无法退费", "路灯不亮", "供暖温度不达标", "拖欠工资",
           "井盖破损", "占道经营", "商家拒绝退货", "停水未通知", "楼道堆放杂物", "广场舞噪音", "餐馆卫生差")


def write_hotline_csv(path: Path, rows: int, seed: int = 1) -> Path:
    """A realistic 12345 export: Chinese headers, names for counties/departments/categories, long text."""
    rnd = random.Random(seed)
    counties = [c.name for c in codes.COUNTIES]
    categories = [name for name, _, _ in codes.HOTLINE_CATEGORIES]
    departments = [d.name for d in codes.CITY_DEPARTMENTS]
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for i in range(rows):
            day = 1 + i % 28
            accepted = f"2025-{1 + i % 12:02d}-{day:02d} {8 + i % 10:02d}:{i % 60:02d}:{(i * 7) % 60:02d}"
            finished = f"2025-{1 + i % 12:02d}-{day:02d} 20:00:00"
            content = "".join(rnd.choice(PHRASES) for _ in range(8)) + "，希望相关部门尽快处理。"
            values = {
                "工单编号": f"KF2025{i:010d}", "来电时间": accepted, "诉求渠道": rnd.choice(codes.CHANNELS),
                "诉求类型": rnd.choice(codes.APPEAL_TYPES), "问题分类": rnd.choice(categories),
                "诉求标题": f"反映{rnd.choice(PHRASES)}问题", "诉求内容": content, "诉求人": "张先生",
                "来电号码": f"137{i:08d}", "所属区县": rnd.choice(counties), "乡镇街道": None,
                "事发地址": f"开封市某路{i % 300}号", "是否紧急": "否", "办理方式": "转办",
                "承办单位": rnd.choice(departments), "派单时间": accepted, "签收时限": finished, "签收时间": accepted,
                "办理时限": finished, "答复时间": finished, "办结时间": finished, "工单状态": "已办结",
                "答复内容": "经核实已处理，已向市民反馈。", "退单次数": "0", "重办次数": "0", "延期天数": "0",
                "是否重复件": "否", "满意度": rnd.choice(codes.SATISFACTION), "是否解决": "是",
                "涉及企业统一社会信用代码": None, "更新时间": finished,
            }
            writer.writerow([values[h] for h in HEADER])
    return path


def _template_sqlite(workdir: Path) -> Path:
    from data_access import warehouse
    from data_access.db import make_engine

    path = workdir / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    warehouse.init(engine)
    engine.dispose()
    return path


def time_read_csv(path: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process)."""
    import pandas as pd

    started, cpu = time.perf_counter(), time.process_time()
    pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    return time.perf_counter() - started, time.process_time() - cpu


def time_sqlite(path: Path, template: Path, workdir: Path) -> tuple[float, float]:
    from data_access.db import make_engine
    from data_access.ingest import ingest_file

    db_path = workdir / f"run-{uuid.uuid4().hex[:6]}.db"
    shutil.copy(template, db_path)
    engine = make_engine(f"sqlite:///{db_path}")
    started, cpu = time.perf_counter(), time.process_time()
    result = ingest_file(engine, "hotline", path)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    engine.dispose()
    db_path.unlink()
    assert result.quarantined == 0 and result.inserted == result.received, result
    return seconds, cpu


PEER = """
import sys, pandas as pd
from sqlalchemy import create_engine
engine = create_engine(sys.argv[2])
pd.read_csv(sys.argv[1], dtype=str, encoding="utf-8-sig").to_sql("peer_hotline", engine, if_exists="replace", index=False)
"""


def time_peer(path: Path, url: str) -> tuple[float, float]:
    """The naive peer in this process: ``read_csv(dtype=str).to_sql()`` of the same file, no validation."""
    import pandas as pd
    from sqlalchemy import create_engine

    engine = create_engine(url)
    started, cpu = time.perf_counter(), time.process_time()
    pd.read_csv(path, dtype=str, encoding="utf-8-sig").to_sql("peer_hotline", engine, if_exists="replace", index=False)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    engine.dispose()
    return seconds, cpu


def time_sqlite_peer(path: Path, template: Path, workdir: Path) -> tuple[float, float]:
    db_path = workdir / f"peer-{uuid.uuid4().hex[:6]}.db"
    shutil.copy(template, db_path)
    try:
        return time_peer(path, f"sqlite:///{db_path}")
    finally:
        db_path.unlink()


def time_postgres_peer(path: Path) -> tuple[float, float] | None:
    """The peer in this process into a fresh PostgreSQL warehouse (server CPU not counted)."""
    with _fresh_postgres() as url:
        return None if url is None else time_peer(path, url)


def time_process(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) of a whole process: start-up and imports count."""
    before = os.times()
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL)
    after = os.times()
    return time.perf_counter() - started, (after.children_user - before.children_user) + (
        after.children_system - before.children_system)


def time_sqlite_process(path: Path, template: Path, workdir: Path, peer: bool) -> tuple[float, float]:
    """``bianjian ingest hotline FILE`` (or the peer: read_csv + to_sql, no validation) as its own process,
    into a fresh copy of the seeded warehouse."""
    db_path = workdir / f"proc-{uuid.uuid4().hex[:6]}.db"
    shutil.copy(template, db_path)
    url = f"sqlite:///{db_path}"
    try:
        if peer:
            return time_process([sys.executable, "-c", PEER, str(path), url])
        return time_process([sys.executable, "-m", "bianjian_cli", "ingest", "hotline", str(path), "--json"],
                            {"BIANJIAN_DATABASE_URL": url})
    finally:
        db_path.unlink()


@contextlib.contextmanager
def _fresh_postgres():
    """The URL of a fresh, initialised PostgreSQL warehouse (dropped afterwards), or None without a server."""
    import psycopg

    from data_access import warehouse
    from data_access.db import make_engine

    try:
        admin = psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=3)
    except Exception:  # server absent
        yield None
        return
    name = f"bianjian_bench_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    try:
        engine = make_engine(url)
        warehouse.init(engine)
        engine.dispose()
        yield url
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def time_postgres_process(path: Path, peer: bool) -> tuple[float, float] | None:
    """As :func:`time_sqlite_process`, into a fresh PostgreSQL warehouse (server CPU not counted)."""
    with _fresh_postgres() as url:
        if url is None:
            return None
        if peer:
            return time_process([sys.executable, "-c", PEER, str(path), url])
        return time_process([sys.executable, "-m", "bianjian_cli", "ingest", "hotline", str(path), "--json"],
                            {"BIANJIAN_DATABASE_URL": url})


def postgres_server_cpu() -> float:
    """CPU seconds used so far by every local ``postgres`` process (the server's side of a load; other
    clients' work counts too, so it is an upper bound)."""
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if "(postgres)" in stat:
            fields = stat.rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def time_postgres(path: Path) -> tuple[float, float, float] | None:
    """(wall seconds, CPU seconds of this process, CPU seconds of the server's processes)."""
    import psycopg

    from data_access import warehouse
    from data_access.db import make_engine
    from data_access.ingest import ingest_file

    try:
        admin = psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=3)
    except Exception as exc:  # server absent
        print(f"PostgreSQL not reachable: {exc}", file=sys.stderr)
        return None
    name = f"bianjian_bench_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
        warehouse.init(engine)
        started, cpu, server = time.perf_counter(), time.process_time(), postgres_server_cpu()
        result = ingest_file(engine, "hotline", path)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        server = postgres_server_cpu() - server
        engine.dispose()
        assert result.quarantined == 0 and result.inserted == result.received, result
        return seconds, cpu, server
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def time_reader(path: Path, fast: bool) -> tuple[float, float]:
    """Our CSV reader alone (every record split, stripped and numbered): the pyarrow path or csv only."""
    from data_access.ingest.readers import csv_chunks

    started, cpu = time.perf_counter(), time.process_time()
    for _ in csv_chunks(path, "utf-8-sig", int(settings.get("ingest_chunk_rows")), fast=fast):
        pass
    return time.perf_counter() - started, time.process_time() - cpu


LABELS = {
    "read_csv": "`pandas.read_csv(dtype=str)` (parse only)",
    "reader": "ingest CSV reader, pyarrow path (split, strip, line numbers; no validation)",
    "reader_slow": "ingest CSV reader, `csv` module fallback (same output)",
    "sqlite": "`ingest_file` → SQLite (read, validate, upsert, commit)",
    "sqlite_peer_inproc": "peer in process: `read_csv(dtype=str).to_sql()` → SQLite, no validation",
    "postgres": "`ingest_file` → PostgreSQL (same; server CPU not counted)",
    "postgres_peer_inproc": "peer in process: `read_csv(dtype=str).to_sql()` → PostgreSQL",
    "sqlite_cli": "whole process: `bianjian ingest hotline FILE` → SQLite (CPU: the child's)",
    "sqlite_peer": "whole process, peer: `read_csv(dtype=str).to_sql()` → SQLite, no validation",
    "postgres_cli": "whole process: `bianjian ingest hotline FILE` → PostgreSQL",
    "postgres_peer": "whole process, peer: `read_csv(dtype=str).to_sql()` → PostgreSQL",
}
# (ours, the peer's): each round's ratio is taken within that round, so load swings hit both alike.
PAIRS = (("sqlite", "sqlite_peer_inproc"), ("postgres", "postgres_peer_inproc"), ("sqlite_cli", "sqlite_peer"),
         ("postgres_cli", "postgres_peer"))


def throughput(rows: int, repeat: int, postgres: bool, readers: bool) -> None:
    """Each repeat runs every step once, in turn, so a change in the machine's load hits all steps alike."""
    steps: dict[str, list[tuple[float, ...]]] = {key: [] for key in LABELS}
    loads = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        path = write_hotline_csv(workdir / "hotline_bench.csv", rows)
        template = _template_sqlite(workdir)
        size_mb = path.stat().st_size / 1e6
        for _ in range(repeat):
            steps["read_csv"].append(time_read_csv(path))
            if readers:
                steps["reader"].append(time_reader(path, fast=True))
                steps["reader_slow"].append(time_reader(path, fast=False))
            steps["sqlite"].append(time_sqlite(path, template, workdir))
            steps["sqlite_peer_inproc"].append(time_sqlite_peer(path, template, workdir))
            for key, timer in (("postgres", time_postgres), ("postgres_peer_inproc", time_postgres_peer)):
                run = timer(path) if postgres else None
                if run is not None:
                    steps[key].append(run)
            steps["sqlite_cli"].append(time_sqlite_process(path, template, workdir, peer=False))
            steps["sqlite_peer"].append(time_sqlite_process(path, template, workdir, peer=True))
            for key, peer in (("postgres_cli", False), ("postgres_peer", True)):
                run = time_postgres_process(path, peer) if postgres else None
                if run is not None:
                    steps[key].append(run)
            loads.append(os.getloadavg()[0])
    print(f"\n{rows:,} work orders, {len(HEADER)} columns, {size_mb:.0f} MB CSV (UTF-8), median of {repeat} runs, "
          f"{os.cpu_count()} cores, 1-minute load average {min(loads):.1f}–{max(loads):.1f} during the runs\n")
    print("| step | wall s | rows/s (wall) | CPU s of this process | rows/s per CPU second |")
    print("|---|---:|---:|---:|---:|")
    for key, runs in steps.items():
        if runs:
            wall, cpu = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
            print(f"| {LABELS[key]} | {wall:.2f} | {rows / wall:,.0f} | {cpu:.2f} | {rows / cpu:,.0f} |")
    if steps["postgres"]:
        server = statistics.median(r[2] for r in steps["postgres"])
        both = statistics.median(r[1] + r[2] for r in steps["postgres"])
        print(f"\nPostgreSQL server processes: {server:.2f} CPU s per load (median; any other client's work "
              f"included); with this process {both:.2f} CPU s, {rows / both:,.0f} rows per CPU second.")
    print("\n| ours against the peer, same round | speed ratio, wall (median; rounds) | speed ratio, CPU (median; rounds) |")
    print("|---|---:|---:|")
    for ours, peer in PAIRS:
        if steps[ours] and len(steps[ours]) == len(steps[peer]):
            cells = []
            for i in (0, 1):
                ratios = [p[i] / o[i] for o, p in zip(steps[ours], steps[peer], strict=True)]
                cells.append(f"{statistics.median(ratios):.2f}× ({min(ratios):.2f}–{max(ratios):.2f})")
            print(f"| {LABELS[ours]} vs {LABELS[peer].split(':')[0]} | {cells[0]} | {cells[1]} |")


_CHILD = """
import resource, sys, time
sys.path.insert(0, {root!r})
from data_access.db import make_engine
from data_access.ingest import ingest_file
engine = make_engine({url!r})
with engine.connect():
    pass
baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
result = ingest_file(engine, "hotline", {path!r})
print(result.received, result.inserted, round(time.perf_counter() - started, 1), baseline,
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_rss(size_mb: int) -> None:
    """Ingest a ~size_mb file in a fresh child process; report its peak RSS and its RSS before ingesting."""
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        path = write_hotline_csv(workdir / "hotline_big.csv", size_mb * 1_000_000 // 560)
        template = _template_sqlite(workdir)
        code = _CHILD.format(root=str(ROOT), url=f"sqlite:///{template}", path=str(path))
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
        received, inserted, seconds, baseline_kb, peak_kb = out
        print(f"\nfile {path.stat().st_size / 1e6:.0f} MB, {int(received):,} rows received, {int(inserted):,} "
              f"inserted in {seconds} s (chunks of {settings.get('ingest_chunk_rows')} rows); RSS after imports "
              f"{int(baseline_kb) / 1024:.0f} MB, peak RSS {int(peak_kb) / 1024:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rss-mb", type=int, default=0, help="Measure peak RSS on a generated file of this size.")
    parser.add_argument("--no-postgres", action="store_true", help="Skip the PostgreSQL loads.")
    parser.add_argument("--no-readers", action="store_true", help="Skip timing the CSV reader alone.")
    args = parser.parse_args()
    if args.rss_mb:
        peak_rss(args.rss_mb)
    else:
        throughput(args.rows, args.repeat, postgres=not args.no_postgres, readers=not args.no_readers)


if __name__ == "__main__":
    main()
