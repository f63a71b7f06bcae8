"""docs/metrics.md, generated from the declarations (``bianjian metrics --doc``; a test keeps them equal)."""

from __future__ import annotations

from data_access.scope import ROLES
from metrics.core import ALL_ROLES, CLOCKS, GOOD_DIRECTIONS
from metrics.declarations import METRICS, SURFACE_NAMES

INTRO = """# Metrics (指标口径)

Every headline figure Bianjian shows is declared once in `metrics/declarations.py`: its name, Chinese label,
one-sentence definition, unit, time window, the clock the window reads, how a department head's scope is
honoured, the direction that is good, and the query function that computes it. The wall, 概览, the pages,
the 月通报 and the command line all read the figure from there; a page marks each declared figure with
`data-metric="<name>"` and a hover title holding the definition, and `tests/test_metrics_consistency.py`
reads every marked figure in a real browser (and the 月通报 XLSX) as several roles and checks it equals
`bianjian metrics --json` for the same role, scope and as-of.

This file is generated: `bianjian metrics --doc > docs/metrics.md` (a test fails when it drifts).

## Reading the figures from another system

```
bianjian metrics --json                              # as the system (every department)
bianjian metrics --json --as-of 2026-11-30           # windows end on that day (stocks stay current)
bianjian metrics --json --role DEPT_HEAD --dept SCJG # a department head's view (key or 18-digit code)
```

One JSON object per line: `name`, `label`, `definition`, `value`, `unit`, `window`, `as_of`. Rankings'
values are lists of `{unit_code, unit_name, rank, score, status}`; a figure without data is `null`.

## Rules every surface follows

- **Which month.** Every ranking surface (大屏, 排名, 本部门, 监管事项, 月通报) opens on the last month complete at
  the data's as-of time; a month still running is labelled 本月至今 wherever it is chosen.
- **Unit status.** 正常 / 黄色预警 / 红色预警 / 参评不足 is computed by one function, `evaluation.scoring.rank_units`
  (the evidence rule of `evaluation.evidence`), and shown identically in a unit's header, the ranking rows and
  the bulletin; the page states the rule in one sentence (`evaluation.scoring.status_rule`). Indicator rows say
  达标 / 未达标 / 明显未达标, never a unit's warning words.
- **Deadlines.** 超期 counts from the first working day past the deadline (never 超期0个工作日); on the last day
  a lead reads 今日到期; after a deadline passes on the eve of a weekend or holiday it reads 已到期 until the
  next working day begins.
- **Good direction.** 概览 colours a change green when it moves the good way, red when the bad way, and grey
  when the figure has no good direction (more 12345 orders or penalties is neither good nor bad).

## Clocks

"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown() -> str:
    clocks = "".join(f"- `{k}`: {v}\n" for k, v in CLOCKS.items())
    head = ("\n## Declared metrics\n\n| name | 标签 | 口径 | 单位 | 时间窗 | 时钟 | 范围 | 方向 | 角色 | 显示于 |\n"
            "|---|---|---|---|---|---|---|---|---|---|\n")
    rows = []
    for m in METRICS:
        roles = "全部" if m.roles == ALL_ROLES else "、".join(ROLES[r] for r in m.roles)
        surfaces = "、".join(SURFACE_NAMES[s] for s in m.surfaces) + ("、命令行" if m.surfaces else "命令行")
        rows.append(f"| `{m.name}` | {_cell(m.label)} | {_cell(m.definition)} | {m.unit or '—'} | {m.window} | "
                    f"`{m.clock}` | {m.scope} | {GOOD_DIRECTIONS[m.good]} | {roles} | {surfaces} |\n")
    return INTRO + clocks + head + "".join(rows)
