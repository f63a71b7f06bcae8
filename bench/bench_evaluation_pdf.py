"""Bulletin PDF render time: the embedded Noto Sans CJK SC subset (cold and warm font cache) against the
baseline it replaced, reportlab's built-in (not embedded) CID font STSong-Light, on the same document.

The document is the monthly bulletin with a unit page, built once from a demo warehouse (default: scale
0.01, seed 7, as in the tests; or BIANJIAN_DATABASE_URL with the indicator mart built). Only the PDF
writing is timed, with the font subset cached; a cache miss adds the subset build (subset + CFF→glyf
conversion into a fresh VAR_DIR/fonts), timed on its own because reportlab keeps a registered font for
the life of the process.

    nice .venv/bin/python bench/bench_evaluation_pdf.py [--runs 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def build_document():
    from sqlalchemy.orm import Session

    from data_access import queries_evaluation, warehouse
    from data_access.db import make_engine
    from demo.load import load_demo
    from evaluation import indicators, reports

    url = os.environ.get("BIANJIAN_DATABASE_URL")
    if not url:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='bench-pdf-')}/demo.db"
        engine = make_engine(url)
        warehouse.init(engine)
        load_demo(engine, scale=0.01, seed=7, end=dt.date(2026, 6, 30))
        with engine.begin() as conn:
            indicators.rebuild(conn)
    engine = make_engine(url)
    with Session(engine) as session:
        month = queries_evaluation.indicator_months(session)[-2]
        return reports.monthly_bulletin(session, month, unit="410202"), month


def timed_interleaved(variants: dict, runs: int) -> dict[str, list[float]]:
    """Run the variants in turn, ``runs`` rounds, so load drifting on a shared machine hits all alike."""
    out = {name: [] for name in variants}
    for _ in range(runs):
        for name, run_once in variants.items():
            start = time.perf_counter()
            run_once()
            out[name].append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    from evaluation import pdf_font, render

    doc, month = build_document()
    out = Path(tempfile.mkdtemp(prefix="bench-pdf-out-"))
    chars = len(set(render.text_of(doc)))
    register = pdf_font.register

    def baseline() -> None:
        pdf_font.register = lambda _text: "STSong-Light"
        try:
            render.write(doc, "pdf", out / "baseline.pdf")
        finally:
            pdf_font.register = register

    def cache_miss() -> None:
        os.environ["BIANJIAN_VAR_DIR"] = tempfile.mkdtemp(prefix="bench-pdf-var-")
        pdf_font.cached_subset(set(render.text_of(doc)))

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    results = timed_interleaved({
        "baseline STSong-Light (not embedded)": baseline,
        "font subset build on a cache miss (added once)": cache_miss,
        "embedded subset, cached": lambda: render.write(doc, "pdf", out / "embedded.pdf")}, args.runs)
    base = statistics.median(results["baseline STSong-Light (not embedded)"])
    print(f"monthly bulletin {month} with unit page; {chars} distinct characters; {args.runs} runs each; "
          f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}; "
          f"{os.cpu_count()} CPUs")
    print("| variant | median s | min s | max s | × baseline | PDF KiB |")
    print("|---|---|---|---|---|---|")
    sizes = [out / "baseline.pdf", None, out / "embedded.pdf"]
    for (name, times), path in zip(results.items(), sizes, strict=True):
        median = statistics.median(times)
        size = f"{path.stat().st_size / 1024:.0f}" if path else "—"
        print(f"| {name} | {median:.2f} | {min(times):.2f} | {max(times):.2f} | {median / base:.2f} | {size} |")


if __name__ == "__main__":
    main()
