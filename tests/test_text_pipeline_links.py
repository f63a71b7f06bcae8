"""Register linking rules of the text pipeline (pure functions, no database)."""

from __future__ import annotations

import pytest

from text_mining.register_links import build_register_index, link_register_names, unmatched_business_mentions

NAMES = ["龙亭区老申水电安装部", "开封市汴梁鑫餐饮管理有限公司", "福瑞便利店", "福瑞便利店", "杞县佳美酒店管理有限公司"]
REGIONS = ["410202", "410202", "410203", "410204", "410221"]


@pytest.fixture(scope="module")
def index():
    return build_register_index(NAMES, REGIONS)


@pytest.mark.parametrize(("text", "region", "row", "surface"), [
    ("来电人称龙亭区老申水电安装部拖欠工资", "410202", 0, "龙亭区老申水电安装部"),  # full name
    ("汴梁鑫餐饮管理的后厨很脏", "410202", 1, "汴梁鑫餐饮管理"),  # core (legal form and city removed)
    ("汴梁鑫餐饮管理的后厨很脏", "410203", None, None),  # a core links only within the county
    ("开封市汴梁鑫餐饮管理有限公司欠薪", "410203", 1, "开封市汴梁鑫餐饮管理有限公司"),  # a full name anywhere
    ("福瑞便利店卖过期食品", "410203", 2, "福瑞便利店"),  # same name in two counties: the order's county
    ("福瑞便利店卖过期食品", "410205", None, None),  # ... and ambiguous from a third county
    ("楼下饭店油烟大", "410202", None, None),
])
def test_link_rules(index, text, region, row, surface):
    rows, surfaces = link_register_names(index, [text], [region])
    assert (rows[0], surfaces[0]) == (row, surface)


def test_unmatched_mentions_come_from_entity_extraction():
    found = unmatched_business_mentions([7, 8], ["投诉鼓楼区老王饭店卫生差，经营者无照", "路灯不亮"])
    assert found == {7: "老王饭店"}
