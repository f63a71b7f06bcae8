"""Synthetic demo text: determinism, code-list coverage, places per county, business names, bounds, data files."""

from __future__ import annotations

import fnmatch
import random
import re
import tomllib

import pytest

from data_access import codes
from demo import complaint_text as ct
from demo import names, places
from demo.data_files import load
from tests.conftest import REPO_ROOT

COUNTY_CODES = tuple(codes.COUNTY_BY_CODE)
CATEGORY_NAMES = tuple(n for n, _, _ in codes.HOTLINE_CATEGORIES)
INDUSTRY_CODES = tuple(c for c, _, _ in codes.INDUSTRIES)


def _sample(seed: int) -> list:
    rnd = random.Random(seed)
    out: list = []
    for i in range(400):
        t = ct.TOPICS[i % len(ct.TOPICS)]
        county = COUNTY_CODES[i % len(COUNTY_CODES)]
        biz = names.business_name(rnd, INDUSTRY_CODES[i % len(INDUSTRY_CODES)], county, ("91", "92", "93")[i % 3])
        out.append(ct.compose_hotline(rnd, t, county, biz if t.names_business else None))
        out.append(ct.compose_reply(rnd, t, "开封市城市管理局", ("good", "fair", "poor")[i % 3]))
        out.append(ct.compose_severe(rnd, t, county, biz))
        out.append(places.random_address(rnd, county))
        out.append((names.person_name(rnd), names.phone(rnd), names.masked_phone(rnd)))
    return out


def test_deterministic_for_same_seed():
    assert _sample(42) == _sample(42)
    assert _sample(42) != _sample(43)


def test_topic_keys_unique_and_enough_topics():
    keys = [t.key for t in ct.TOPICS]
    assert len(keys) == len(set(keys))
    assert len(ct.TOPICS) >= 40
    assert set(ct.TOPIC_BY_KEY) == set(keys)


def test_every_category_has_a_topic_and_topic_categories_are_valid():
    for t in ct.TOPICS:
        assert t.category in CATEGORY_NAMES, t.key
    for name in CATEGORY_NAMES:
        assert ct.TOPICS_BY_CATEGORY[name], name


def test_high_volume_categories_have_rich_templates():
    for name, volume, _ in codes.HOTLINE_CATEGORIES:
        if volume >= 250:
            n = sum(len(t.templates) for t in ct.TOPICS_BY_CATEGORY[name])
            assert n >= 6, name
    for t in ct.TOPICS:
        if t.weight >= 1.5:
            assert len(t.templates) >= 6, t.key


def test_topic_metadata_valid():
    for t in ct.TOPICS:
        assert set(t.appeal_weights) == set(codes.APPEAL_TYPES), t.key
        assert all(v >= 0 for v in t.appeal_weights.values())
        assert abs(sum(t.appeal_weights.values()) - 1.0) < 1e-9
        assert len(t.seasonality) == 12 and all(m > 0 for m in t.seasonality), t.key
        assert t.weight > 0
        assert set(t.industries) <= set(INDUSTRY_CODES), t.key
        if t.names_business:
            assert t.industries, t.key
        for s in t.severe:
            assert s in ct.SEVERE_PHRASES, (t.key, s)


@pytest.mark.parametrize("appeal", [None, *codes.APPEAL_TYPES])
def test_hotline_bounds_and_business_name_verbatim(appeal):
    rnd = random.Random(7)
    for t in ct.TOPICS:
        for county in COUNTY_CODES:
            ind = t.industries[0] if t.industries else "F"
            biz = names.business_name(rnd, ind, county, "92") if t.names_business else None
            title, content = ct.compose_hotline(rnd, t, county, biz, appeal_type=appeal)
            assert 1 <= len(title) <= 30, (t.key, title)
            assert 40 <= len(content) <= 300, (t.key, content)
            assert "{" not in content and "}" not in content and "{" not in title
            if biz:
                assert biz in content, (t.key, biz, content)


def test_business_name_verbatim_even_for_topics_without_business():
    rnd = random.Random(11)
    for t in ct.TOPICS:
        biz = "开封市汴梁测试餐饮有限公司"
        _, content = ct.compose_hotline(rnd, t, "410204", biz)
        assert biz in content, t.key


def test_given_address_is_used():
    rnd = random.Random(3)
    addr = "鼓楼区州桥街道包公湖北路与大纸坊街交叉口东50米"
    hits = 0
    for t in ct.TOPICS:
        _, content = ct.compose_hotline(rnd, t, "410204", address=addr, appeal_type="投诉")
        hits += addr in content
    assert hits > len(ct.TOPICS) * 0.4


def test_places_cover_every_county_and_kind():
    assert set(places.PLACES) == set(COUNTY_CODES)
    for code, d in places.PLACES.items():
        for kind in places.PLACE_KINDS:
            assert d[kind], (code, kind)
        assert set(d["townships"]) == {t.name for t in codes.TOWNSHIPS if t.county_code == code}


def test_addresses_use_places_of_their_own_county():
    rnd = random.Random(5)
    for code in COUNTY_CODES:
        own = set().union(*places.PLACES[code].values())
        prefix = places.COUNTY_PREFIX[code]
        for kind in (None, *places.ADDRESS_KINDS):
            for _ in range(60):
                addr, town, spot = places.address_parts(rnd, code, None, kind)
                assert addr.startswith(prefix + town), addr
                assert town in places.PLACES[code]["townships"]
                assert spot in own, (code, spot)
        for town in places.PLACES[code]["townships"]:
            addr = places.random_address(rnd, code, town)
            assert addr.startswith(prefix + town)


def test_village_addresses_only_in_rural_townships():
    rnd = random.Random(8)
    for (code, town), villages in places.VILLAGES_BY_TOWNSHIP.items():
        assert places.is_rural_township(code, town)
        assert set(villages) <= set(places.PLACES[code]["villages"])
        _, _, spot = places.address_parts(rnd, code, town)
        assert spot in villages or spot == town


def test_business_names_shapes():
    rnd = random.Random(9)
    for ind in INDUSTRY_CODES:
        for county in COUNTY_CODES:
            assert names.business_name(rnd, ind, county, "91").endswith("公司")
            assert names.business_name(rnd, ind, county, "93").endswith("合作社")
            n92 = names.business_name(rnd, ind, county, "92")
            assert 3 <= len(n92) <= 20 and not n92.endswith("公司")
    assert re.fullmatch(r"1[3-9]\d{9}", names.phone(rnd))
    assert re.fullmatch(r"1[3-9]\d\*{4}\d{4}", names.masked_phone(rnd))
    assert 2 <= len(names.person_name(rnd)) <= 3


def test_replies_by_quality():
    rnd = random.Random(4)
    for t in ct.TOPICS:
        good = ct.compose_reply(rnd, t, "开封市市场监督管理局", "good")
        poor = ct.compose_reply(rnd, t, "开封市市场监督管理局", "poor")
        fair = ct.compose_reply(rnd, t, "开封市市场监督管理局", "fair")
        assert len(good) > len(poor) and len(good) >= 60 and len(poor) <= 30
        assert fair and "{" not in good + fair + poor


def test_urban_descriptions_cover_all_minor_classes():
    rnd = random.Random(6)
    for kind, _, major, minors, _, _ in codes.URBAN_CATEGORIES:
        for minor in minors:
            addr = places.random_address(rnd, "410204")
            text = ct.compose_urban(rnd, kind, major, minor, addr)
            assert addr in text and len(text) <= 120
            assert minor in ct._URBAN_TEXT, minor


def test_severe_events_name_phrase_and_business():
    rnd = random.Random(12)
    for t in ct.TOPICS:
        biz = "鼓楼区老刘灌汤包店"
        title, content = ct.compose_severe(rnd, t, "410204", biz)
        assert any(p in content for p in ct.SEVERE_PHRASES)
        assert biz in content and len(title) <= 30 and 40 <= len(content) <= 300


def test_pick_topic_respects_category_and_season():
    rnd = random.Random(1)
    for name in CATEGORY_NAMES:
        assert ct.pick_topic(rnd, name, 1).category == name
    heat = [ct.pick_topic(rnd, "供暖服务", 12).key for _ in range(50)]
    assert set(heat) <= {t.key for t in ct.TOPICS_BY_CATEGORY["供暖服务"]}


def test_the_data_files_ship_with_the_package():
    """The templates and word lists are read at import: pyproject's package-data must carry every file."""
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["demo"]
    files = sorted(p.relative_to(REPO_ROOT / "demo").as_posix() for p in (REPO_ROOT / "demo" / "data").iterdir())
    assert files == ["data/catalog.toml", "data/names.toml", "data/phrases.toml", "data/places.toml",
                     "data/topics.toml"]
    assert all(any(fnmatch.fnmatch(f, pattern) for pattern in patterns) for f in files), (files, patterns)


def test_an_unknown_appeal_type_in_the_topics_is_refused():
    entry = dict(load("topics")["topic"][0], appeals={"投拆": 1})
    with pytest.raises(ValueError, match="投拆"):
        ct._topic(entry, load("topics")["seasonality"])
