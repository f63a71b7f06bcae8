"""The per-source column tables of docs/ingest.md, generated from ``sources.SOURCES``.

``python -m data_access.ingest.docs docs/ingest.md`` rewrites the block between the markers; a test fails when
the file and the maps disagree, so the documentation cannot drift from what the loader accepts.
"""

from __future__ import annotations

import sys
from pathlib import Path

from data_access import codes
from data_access.ingest.sources import SOURCES, Field, Source

BEGIN = "<!-- BEGIN GENERATED: source tables (python -m data_access.ingest.docs docs/ingest.md) -->"
END = "<!-- END GENERATED: source tables -->"
_TYPES = {"str": "文本", "int": "整数", "float": "数值", "money": "金额（元）", "bool": "是/否", "date": "日期",
          "datetime": "时间"}
_REFS = {"region": "开封市或区县：代码或名称", "county": "区县：代码（410202）或名称（龙亭区）",
         "township": "乡镇街道：9位代码或唯一名称", "department": "部门：统一社会信用代码、全称或简称",
         "hotline_category": "12345问题分类：代码（HC04）或名称（消费维权）",
         "urban_category": "城管类别：代码（E0501）或唯一小类名称", "reg_item": "已导入的监管事项编码",
         "ticket": "已导入的工单编号"}


def _values(f: Field) -> str:
    if f.ref:
        return _REFS[f.ref]
    if isinstance(f.codes, dict):
        text = "、".join(f"{k}={v}" for k, v in f.codes.items())
    elif f.codes:
        text = "、".join(f.codes)
    else:
        return ""
    return ("多值，用逗号或顿号分隔：" if f.multi else "") + text


def source_table(source: Source) -> str:
    lines = [f"### {source.title} — `{source.kind}` → `{source.table}`", "",
             f"记录键 / key: `{source.key}`" + (f"; 版本 / version: `{source.version}`" if source.version else "")
             + (f"; 默认来源系统 / default src_system: `{codes.INGEST_KINDS[source.kind]}`" if source.lineage else ""),
             "", "| 列名 | 也接受 | 字段 | 类型 | 必填 | 取值 |", "|---|---|---|---|---|---|"]
    for f in source.fields:
        aliases = "、".join(f.headers[1:])
        lines.append(f"| {f.label} | {aliases} | `{f.column}` | {_TYPES[f.type]} | {'是' if f.required else ''} | "
                     f"{_values(f)} |")
    return "\n".join(lines)


def generated_block() -> str:
    return "\n\n".join([BEGIN, *(source_table(s) for s in SOURCES), END])


def rewrite(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    path.write_text(text[:start] + generated_block() + text[end:], encoding="utf-8")


if __name__ == "__main__":
    rewrite(Path(sys.argv[1]))
