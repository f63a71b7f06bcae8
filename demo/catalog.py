"""Synthetic 监管事项 catalogue (main items, sub-items) and 检查实施清单 for the demo warehouse.

Item names follow the national pattern "对…的监督检查/行政处罚" with each department's real remit; codes
are 14 digits (opaque, as in domain.md §1.5). ~1.5k items at scale 1.0. The remits, actions and aspects are
data, in ``demo/data/catalog.toml``.
"""

from __future__ import annotations

import datetime as dt
import random

import pandas as pd

from data_access import codes
from data_access.reference import DEPT_CODE_BY_KEY
from demo.data_files import load

_DATA = load("catalog")
# Remit of each department: (supervised objects, 12345 category names), from catalog.toml
REMITS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    key: (tuple(remit["objects"]), tuple(remit["categories"])) for key, remit in _DATA["remit"].items()
}
_MAIN_ACTIONS = tuple(_DATA["main_actions"])
_SUB_ASPECTS = tuple(_DATA["sub_aspects"])


def build_catalog(seed: int, scale: float, start: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (dim_reg_item rows, dim_check_impl rows)."""
    rnd = random.Random(seed * 7 + 11)
    per_object = max(1, round(4 * min(1.0, max(scale, 0.05)) ** 0.5 * 1.2))
    items, impls = [], []
    seq = 0
    for key, (objects, categories) in REMITS.items():
        dept = DEPT_CODE_BY_KEY[key]
        for obj_i, obj in enumerate(objects):
            for action in _MAIN_ACTIONS[: per_object]:
                seq += 1
                main_code = f"41020{seq:09d}"
                category = str(_MAIN_ACTIONS.index(action))
                hotline = codes.HOTLINE_CATEGORY_CODE_BY_NAME[categories[obj_i % len(categories)]] if categories else None
                items.append({
                    "item_code": main_code, "parent_code": None, "item_level": "MAIN",
                    "name": f"对{obj}的{action}", "dept_code": dept, "item_category": category,
                    "supervised_object": obj, "set_basis": None, "hotline_category_code": hotline,
                    "claimed": rnd.random() > 0.04, "valid_from": start, "valid_to": None,
                })
                for _ in range(rnd.choice((2, 3, 4))):
                    aspect = rnd.choice(_SUB_ASPECTS)
                    seq += 1
                    sub_code = f"41020{seq:09d}"
                    items.append({
                        "item_code": sub_code, "parent_code": main_code, "item_level": "SUB",
                        "name": f"对{obj}{aspect}的{action}", "dept_code": dept, "item_category": category,
                        "supervised_object": obj, "set_basis": None, "hotline_category_code": hotline,
                        "claimed": rnd.random() > 0.04, "valid_from": start, "valid_to": None,
                    })
                    if category != "0":
                        continue
                    # one implementation list row per implementing level: the city body and each county
                    for level, region in [("3", codes.CITY_CODE)] + [("4", c.code) for c in codes.COUNTIES]:
                        if level == "4" and rnd.random() < 0.3:
                            continue  # not every county has published its list: feeds the coverage indicator
                        impls.append({
                            "impl_code": f"{dept}{level}{sub_code}{region[-2:]}", "item_code": sub_code,
                            "impl_dept_code": dept, "region_code": region, "exercise_level": level,
                            "check_category": "1" if rnd.random() < 0.8 else "2",
                            "is_random": rnd.random() < 0.6, "sample_ratio": rnd.choice((0.01, 0.02, 0.05, 0.1)),
                            "frequency_text": rnd.choice(("每年1次", "每年不少于2次", "根据监管需要确定")),
                            "is_joint": rnd.random() < 0.15,
                        })
    return pd.DataFrame(items), pd.DataFrame(impls)
