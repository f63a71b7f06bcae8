"""Kaifeng place names per county-level unit, for the synthetic demo warehouse.

The names are data, in ``demo/data/places.toml``: facts from ``shared/reference/kaifeng_places.md`` (roads,
landmarks, markets, communities, schools, hospitals; §2–§4; its comments mark inferred placements) and the
townships of ``data_access.codes.TOWNSHIPS``. Villages are generated deterministically from common surnames
("王庄村", "李楼村" …) except the real 村 names the reference lists for 仙人庄/南苑 streets.

Public API::

    PLACES: dict[str, dict[str, tuple[str, ...]]]        # county code -> kind -> names
    TOWNSHIPS_BY_COUNTY: dict[str, tuple[str, ...]]       # county code -> township names
    VILLAGES_BY_TOWNSHIP: dict[tuple[str, str], tuple[str, ...]]
    COMMUNITIES_BY_TOWNSHIP: dict[tuple[str, str], tuple[str, ...]]
    random_address(rnd, county_code, township_name=None) -> str
    address_parts(rnd, county_code, township_name=None, kind=None) -> (address, township, spot)
    random_township(rnd, county_code) -> str
    is_rural_township(county_code, township_name) -> bool

PLACES kinds: ``roads``, ``landmarks``, ``markets``, ``communities``, ``schools``, ``hospitals``,
``townships``, ``villages`` (every kind is non-empty for every county).
"""

from __future__ import annotations

import random as _random

from data_access import codes
from demo.data_files import load


def _ch(rnd, seq):
    """rnd.choice without the getrandbits loop (deterministic, ~3x faster)."""
    return seq[int(rnd.random() * len(seq))]


def _pk(rr, seq):
    return seq[int(rr() * len(seq))]


def _rr(rr, a, b):
    return a + int(rr() * (b - a + 1))


PLACE_KINDS = ("roads", "landmarks", "markets", "communities", "schools", "hospitals", "townships", "villages")

# ------------------------------------------------------------------------------------------ raw tables

_DATA = load("places")
_WORDS = _DATA["words"]
_RAW: dict[str, dict[str, list[str]]] = _DATA["county"]
# (county, township) -> (communities, villages) where the township is known
_BY_TOWNSHIP_RAW: dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...]]] = {
    (t["county"], t["name"]): (tuple(t.get("communities", ())), tuple(t.get("villages", ()))) for t in _DATA["township"]
}

SURNAMES_VILLAGE = tuple(_WORDS["village_surnames"])
_VILLAGE_SUFFIX = tuple(_WORDS["village_suffixes"])
_VILLAGE_PREFIX = _WORDS["village_prefixes"]
_FARM_UNITS = tuple(_WORDS["farm_units"])

TOWNSHIPS_BY_COUNTY: dict[str, tuple[str, ...]] = {
    c.code: tuple(t.name for t in codes.TOWNSHIPS if t.county_code == c.code) for c in codes.COUNTIES
}
_TOWNSHIP_LEVEL: dict[tuple[str, str], str] = {(t.county_code, t.name): t.level for t in codes.TOWNSHIPS}


def is_rural_township(county_code: str, township_name: str) -> bool:
    """乡/镇/农场 → villages; 街道 → roads and communities (仙人庄/南苑 streets are village-based too)."""
    if _BY_TOWNSHIP_RAW.get((county_code, township_name), ((), ()))[1]:
        return True
    return _TOWNSHIP_LEVEL.get((county_code, township_name), "STREET") != "STREET"


def _make_villages(county_code: str, township: str) -> tuple[str, ...]:
    known = _BY_TOWNSHIP_RAW.get((county_code, township), ((), ()))[1]
    if known:
        return known
    if township.endswith("农场"):
        return _FARM_UNITS
    r = _random.Random(int(county_code) * 1000 + sum(map(ord, township)))
    stem = township[:-1] if township.endswith(("镇", "乡")) else township[:2]
    out: list[str] = [stem + "村"] if len(stem) <= 3 and not stem.endswith(("镇", "郊")) else []
    seen = set(out)
    while len(out) < 12:
        name = _ch(r, SURNAMES_VILLAGE) + _ch(r, _VILLAGE_SUFFIX)
        if r.random() < 0.2:
            name = _ch(r, _VILLAGE_PREFIX) + name
        if name not in seen:
            seen.add(name)
            out.append(name)
    return tuple(out)


VILLAGES_BY_TOWNSHIP: dict[tuple[str, str], tuple[str, ...]] = {
    (c, t): _make_villages(c, t) for c, ts in TOWNSHIPS_BY_COUNTY.items() for t in ts if is_rural_township(c, t)
}
COMMUNITIES_BY_TOWNSHIP: dict[tuple[str, str], tuple[str, ...]] = {
    k: v[0] for k, v in _BY_TOWNSHIP_RAW.items() if v[0]
}


def _build() -> dict[str, dict[str, tuple[str, ...]]]:
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for code in codes.COUNTY_BY_CODE:
        raw = _RAW[code]
        d = {k: tuple(dict.fromkeys(raw[k])) for k in PLACE_KINDS[:6]}
        d["townships"] = TOWNSHIPS_BY_COUNTY[code]
        d["villages"] = tuple(
            dict.fromkeys(v for t in d["townships"] for v in VILLAGES_BY_TOWNSHIP.get((code, t), ()))
        )
        out[code] = d
    return out


PLACES: dict[str, dict[str, tuple[str, ...]]] = _build()

# Display prefix of the county in addresses ("顺河回族区" is usually written in full; 示范区 by its short name).
COUNTY_PREFIX = {c.code: c.name for c in codes.COUNTIES}

_URBAN_TOWNSHIPS = {
    c: tuple(t for t in ts if not is_rural_township(c, t)) or ts for c, ts in TOWNSHIPS_BY_COUNTY.items()
}
_DIRS = tuple(_WORDS["directions"])
_DIST = tuple(_WORDS["distances"])
_SEGS = tuple(_WORDS["road_segments"])
_MARKET_SIDES = tuple(_WORDS["market_sides"])
_LANDMARK_SIDES = tuple(_WORDS["landmark_sides"])
_BUILDING_SIDES = tuple(_WORDS["building_sides"])


def random_township(rnd: _random.Random, county_code: str) -> str:
    """A township of the county; county seats / urban streets drawn a bit more often than remote 乡."""
    if rnd.random() < 0.45:
        return _ch(rnd, _URBAN_TOWNSHIPS[county_code])
    return _ch(rnd, TOWNSHIPS_BY_COUNTY[county_code])


def random_address(rnd: _random.Random, county_code: str, township_name: str | None = None) -> str:
    """A plausible incident address inside the county, e.g. "鼓楼区州桥街道包公湖北路与大纸坊街交叉口东50米".

    Every place name used comes from ``PLACES[county_code]`` (roads, landmarks, markets, communities,
    schools, hospitals, villages) and the township from ``TOWNSHIPS_BY_COUNTY[county_code]``.
    """
    return address_parts(rnd, county_code, township_name)[0]


ADDRESS_KINDS = ("road", "cross", "community", "market", "landmark", "school", "hospital", "village")


def address_parts(
    rnd: _random.Random, county_code: str, township_name: str | None = None, kind: str | None = None
) -> tuple[str, str, str]:
    """(address, township, spot): ``spot`` is the main place named (road, community, village, market …).

    ``kind`` (one of ADDRESS_KINDS) biases the address type; rural townships always give village
    addresses, and ``kind="village"`` without a township picks a rural township of the county.
    """
    p = PLACES[county_code]
    rr = rnd.random
    if township_name:
        town = township_name
    elif kind == "village":
        town = _pk(rr, _RURAL_TOWNSHIPS[county_code])
    elif kind is not None:
        town = _pk(rr, _URBAN_TOWNSHIPS[county_code])
    else:
        town = random_township(rnd, county_code)
    head = COUNTY_PREFIX[county_code] + town
    villages = VILLAGES_BY_TOWNSHIP.get((county_code, town))
    r = rr()
    if villages:
        v = _pk(rr, villages)
        if r < 0.45:
            return head + v, town, v
        if r < 0.70:
            return f"{head}{v}{_rr(rr, 1, 12)}组", town, v
        if r < 0.88:
            return head + v + _pk(rr, _VILLAGE_SPOTS), town, v
        return head + _pk(rr, _TOWN_SPOTS), town, town
    if kind is not None:
        r = _KIND_R.get(kind, r)
    if r < 0.30:
        road = _pk(rr, p["roads"])
        return f"{head}{road}{_pk(rr, _SEGS)}{_rr(rr, 1, 320)}号", town, road
    if r < 0.50:
        roads = p["roads"]
        a = _pk(rr, roads)
        b = _pk(rr, roads)
        if a == b:
            return f"{head}{a}{_pk(rr, _SEGS) or '中段'}", town, a
        return f"{head}{a}与{b}交叉口{_pk(rr, _DIRS)}{_pk(rr, _DIST)}米", town, a
    if r < 0.78:
        c = _ch(rnd, COMMUNITIES_BY_TOWNSHIP.get((county_code, town)) or _FREE_COMMUNITIES[county_code])
        if c.endswith("社区"):
            return f"{head}{c}{_pk(rr, p['roads'])}{_rr(rr, 1, 200)}号院", town, c
        return f"{head}{c}{_rr(rr, 1, 24)}号楼{_rr(rr, 1, 4)}单元", town, c
    if r < 0.88:
        m = _pk(rr, p["markets"])
        return head + m + _ch(rnd, _MARKET_SIDES), town, m
    if r < 0.95:
        lm = _pk(rr, p["landmarks"])
        return head + lm + _ch(rnd, _LANDMARK_SIDES), town, lm
    if r < 0.975:
        sc = _pk(rr, p["schools"])
        return head + sc + _ch(rnd, _BUILDING_SIDES), town, sc
    h = _pk(rr, p["hospitals"])
    return head + h + _ch(rnd, _BUILDING_SIDES), town, h


_KIND_R = {"road": 0.1, "cross": 0.4, "community": 0.6, "market": 0.8, "landmark": 0.9, "school": 0.96,
           "hospital": 0.99}
_VILLAGE_SPOTS = tuple(_WORDS["village_spots"])
_TOWN_SPOTS = tuple(_WORDS["town_spots"])
_RURAL_TOWNSHIPS = {
    c: tuple(t for t in ts if is_rural_township(c, t)) or ts for c, ts in TOWNSHIPS_BY_COUNTY.items()
}
_ASSIGNED = {(k[0], c) for k, v in COMMUNITIES_BY_TOWNSHIP.items() for c in v}
_FREE_COMMUNITIES = {
    code: tuple(c for c in d["communities"] if (code, c) not in _ASSIGNED) or d["communities"]
    for code, d in PLACES.items()
}
