"""Synthetic Chinese 12345 诉求 text, department replies, 数字城管 case descriptions and severe events.

All wording is written for this project (no text copied from any data set) and kept as data: the topics
in ``demo/data/topics.toml``, the fixed phrases around them in ``demo/data/phrases.toml``. Places come from
``places.PLACES``; negative complaints name fictitious businesses (``names.business_name``) on real roads.

Public API::

    TOPICS: tuple[Topic, ...]                 # ≥1 topic per codes.HOTLINE_CATEGORIES name
    TOPIC_BY_KEY: dict[str, Topic]
    TOPICS_BY_CATEGORY: dict[str, tuple[Topic, ...]]
    compose_hotline(rnd, topic, county_code, business_name=None, address=None, *,
                    appeal_type=None, township_name=None) -> tuple[str, str]      # (title ≤30, content 40–300)
    compose_reply(rnd, topic, dept_name, quality) -> str                         # quality good / fair / poor
    compose_urban(rnd, kind, major_name, minor_name, address) -> str
    SEVERE_PHRASES: tuple[str, ...]
    compose_severe(rnd, topic, county_code, business_name=None, address=None) -> tuple[str, str]
    pick_topic(rnd, category, month=None) -> Topic                                # weight × seasonality

Speed: templates are parsed once at import into (format string, slot functions); a call is a handful of
``rnd.random()/rnd.choice`` plus one ``str.format_map`` — no regex, no numpy. Deterministic for a seeded
``random.Random``.
"""

from __future__ import annotations

import random as _random
from dataclasses import dataclass, field
from string import Formatter

from data_access import codes
from demo import names as _names
from demo import places as _places
from demo.data_files import load


def _ch(rnd, seq):
    """rnd.choice without the getrandbits loop (deterministic, ~3x faster)."""
    return seq[int(rnd.random() * len(seq))]


def _ri(rnd, a, b):
    """rnd.randint(a, b) via one rnd.random() call."""
    return a + int(rnd.random() * (b - a + 1))


__all__ = [
    "Topic", "TOPICS", "TOPIC_BY_KEY", "TOPICS_BY_CATEGORY", "SEVERE_PHRASES", "compose_hotline",
    "compose_reply", "compose_urban", "compose_severe", "pick_topic",
]

# ------------------------------------------------------------------------------------------- topics


@dataclass(frozen=True, eq=False)
class Topic:
    key: str
    name: str
    category: str  # one of codes.HOTLINE_CATEGORIES names
    weight: float  # relative share within its category
    appeal_weights: dict[str, float]  # over codes.APPEAL_TYPES, sums to 1
    names_business: bool  # the complaint names a market entity
    industries: tuple[str, ...]  # GB/T 4754 sections of the businesses it names
    seasonality: tuple[float, ...]  # 12 monthly multipliers (Jan..Dec)
    severity_words: tuple[str, ...] = ()
    addr_kind: str | None = None  # preferred address kind (places.ADDRESS_KINDS)
    titles: tuple[str, ...] = field(default=(), repr=False)
    templates: tuple[str, ...] = field(default=(), repr=False)
    asks: tuple[str, ...] = field(default=(), repr=False)
    actions: tuple[str, ...] = field(default=(), repr=False)
    laws: tuple[str, ...] = field(default=(), repr=False)
    severe: tuple[str, ...] = field(default=(), repr=False)


_CATEGORY_NAMES = tuple(n for n, _, _ in codes.HOTLINE_CATEGORIES)


def _appeals(weights: dict[str, float]) -> dict[str, float]:
    """Relative weights over codes.APPEAL_TYPES (those not named weigh 0), normalised to sum to 1."""
    w = dict.fromkeys(codes.APPEAL_TYPES, 0.0)
    for name, val in weights.items():
        if name not in w:
            raise ValueError(f"unknown appeal type {name!r}")
        w[name] = float(val)
    total = sum(w.values())
    return {k: v / total for k, v in w.items()}


def _topic(entry: dict, presets: dict[str, list[float]]) -> Topic:
    """One ``[[topic]]`` of topics.toml; ``season`` names a preset of its ``[seasonality]`` or lists 12 values."""
    season = entry["season"]
    return Topic(
        key=entry["key"], name=entry["name"], category=entry["category"], weight=float(entry["weight"]),
        appeal_weights=_appeals(entry["appeals"]), names_business=entry.get("names_business", False),
        industries=tuple(entry.get("industries", ())),
        seasonality=tuple(presets[season] if isinstance(season, str) else season),
        severity_words=tuple(entry.get("severity_words", ())), addr_kind=entry.get("addr_kind"),
        titles=tuple(entry.get("titles", ())), templates=tuple(entry.get("templates", ())),
        asks=tuple(entry.get("asks", ())), actions=tuple(entry.get("actions", ())),
        laws=tuple(entry.get("laws", ())), severe=tuple(entry.get("severe", ())),
    )


def _load_topics() -> tuple[Topic, ...]:
    data = load("topics")
    return tuple(_topic(entry, data["seasonality"]) for entry in data["topic"])


TOPICS: tuple[Topic, ...] = _load_topics()
TOPIC_BY_KEY: dict[str, Topic] = {t.key: t for t in TOPICS}
TOPICS_BY_CATEGORY: dict[str, tuple[Topic, ...]] = {
    name: tuple(t for t in TOPICS if t.category == name) for name in _CATEGORY_NAMES
}

# ------------------------------------------------------------------------------------------- slots

_PHRASES = load("phrases")
_SLOT_PARTS = _PHRASES["slot_parts"]
_PLATE_L = _SLOT_PARTS["plate_letters"]
_SEV_GENERIC = tuple(_SLOT_PARTS["severity_generic"])


def _money(rnd: _random.Random, lo: int, hi: int, step: int) -> str:
    v = rnd.randrange(lo, hi, step)
    return f"{v}元"


def _wage(rnd: _random.Random) -> str:
    r = rnd.random()
    if r < 0.45:
        return f"{rnd.randrange(2800, 9900, 100)}元"
    if r < 0.8:
        return f"{'一两三四五六七八九'[rnd.randrange(9)]}万{'一二三四五六七八九'[rnd.randrange(9)]}千多元"
    return f"{rnd.randrange(10, 60)}万多元"


class _Ctx:
    __slots__ = ("rnd", "county", "p", "addr", "town", "spot", "biz", "voice", "topic")


_CORP_INDUSTRIES = frozenset("ECLKIMG")


def _biz_slot(c: _Ctx) -> str:
    if c.biz is None:
        t = c.topic
        ind = (t.industries[0] if c.rnd.random() < 0.7 else _ch(c.rnd, t.industries)) if t.industries else "F"
        c.biz = _names.business_name(c.rnd, ind, c.county, "91" if ind in _CORP_INDUSTRIES else "92")
    return c.biz


def _sev_slot(c: _Ctx) -> str:
    w = c.topic.severity_words
    return _ch(c.rnd, w) if w and c.rnd.random() < 0.7 else _ch(c.rnd, _SEV_GENERIC)


# Word-list slots draw from phrases.toml [slots]; the others are computed for the order at hand.
_SLOTS = {
    **{name: tuple(words) for name, words in _PHRASES["slots"].items()},
    "addr": lambda c: c.addr,
    "town": lambda c: c.town,
    "spot": lambda c: c.spot,
    "biz": _biz_slot,
    "I": lambda c: "我" if c.voice == "1" else "其",
    "we": lambda c: "我们" if c.voice == "1" else "村民们" if c.spot.endswith("村") else "周边居民",
    "our": lambda c: "我们" if c.voice == "1" else "该",
    "floor": lambda c: f"{_ri(c.rnd, 2, 26)}楼",
    "bldg": lambda c: f"{_ri(c.rnd, 1, 24)}号楼",
    "amt": lambda c: _money(c.rnd, 20, 300, 5),
    "amt_mid": lambda c: _money(c.rnd, 300, 6000, 100),
    "price": lambda c: _money(c.rnd, 2, 40, 1),
    "wage": lambda c: _wage(c.rnd),
    "sev": _sev_slot,
    "n": lambda c: str(_ri(c.rnd, 2, 9)),
    "plate": lambda c: f"豫B{_ch(c.rnd, _PLATE_L)}{c.rnd.randrange(10000):04d}",
    "lm": lambda c: _ch(c.rnd, c.p["landmarks"]),
    "hosp": lambda c: _ch(c.rnd, c.p["hospitals"]),
    "road": lambda c: _ch(c.rnd, c.p["roads"]),
    "comm": lambda c: _ch(c.rnd, c.p["communities"]),
    "mkt": lambda c: _ch(c.rnd, c.p["markets"]),
    "school": lambda c: _ch(c.rnd, c.p["schools"]),
    "tname": lambda c: c.topic.name,
}
_FORMATTER = Formatter()


class _Tpl:
    __slots__ = ("fmt", "slots", "voice", "kind", "has_biz", "has_addr")

    def __init__(self, raw: str):
        tags = ""
        if "|" in raw[:3]:
            tags, raw = raw.split("|", 1)
        self.fmt = raw
        names = tuple(dict.fromkeys(f for _, f, _, _ in _FORMATTER.parse(raw) if f is not None))
        unknown = [n for n in names if n not in _SLOTS]
        if unknown:
            raise ValueError(f"unknown slots {unknown} in template {raw!r}")
        self.slots = tuple((n, _SLOTS[n], type(_SLOTS[n]) is tuple) for n in names)
        self.voice = "1" if "1" in tags else "3" if "3" in tags else ""
        self.kind = "Q" if "Q" in tags else "S" if "S" in tags else "C"
        self.has_biz = "biz" in names
        self.has_addr = "addr" in names

    def render(self, c: _Ctx) -> str:
        rr = c.rnd.random
        vals = {}
        for n, f, seq in self.slots:
            vals[n] = f[int(rr() * len(f))] if seq else f(c)
        return self.fmt.format_map(vals)


class _Compiled:
    __slots__ = ("by_kind", "biz", "titles", "titles_nobiz", "titles_q", "titles_s", "appeal_cum", "asks", "asks_p", "actions", "laws")


_KIND_OF_APPEAL = {"咨询": "Q", "建议": "S", "表扬": "P", "投诉": "C", "举报": "C", "求助": "C", "其他": "C"}


def _cum(weights: dict[str, float]) -> tuple[tuple[float, ...], tuple[str, ...]]:
    acc, keys, tot = [], [], 0.0
    for k, v in weights.items():
        if v > 0:
            tot += v
            acc.append(tot)
            keys.append(k)
    return tuple(a / tot for a in acc), tuple(keys)


def _compile_topic(t: Topic) -> _Compiled:
    cp = _Compiled()
    tpls = [_Tpl(s) for s in t.templates]
    cp.by_kind = {k: tuple(x for x in tpls if x.kind == k) for k in ("C", "Q", "S")}
    if not cp.by_kind["C"]:
        cp.by_kind["C"] = tuple(tpls)
    cp.biz = tuple(x for x in tpls if x.has_biz and x.kind != "S") or tuple(x for x in tpls if x.has_biz)
    titles = [_Tpl(s) for s in t.titles] or [_Tpl("反映{spot}" + t.name + "问题")]
    q = tuple(x for x in titles if x.fmt.startswith("咨询"))
    cp.titles_s = tuple(x for x in titles if x.fmt.startswith("建议") and not x.has_biz) or (
        _Tpl("关于" + t.name + "的建议"),)
    titles = [x for x in titles if not x.fmt.startswith(("咨询", "建议"))] or [_Tpl("关于" + t.name + "的诉求")]
    cp.titles = tuple(titles)
    cp.titles_nobiz = tuple(x for x in titles if not x.has_biz) or (_Tpl("关于" + t.name + "的诉求"),)
    cp.titles_q = tuple(x for x in q if not x.has_biz) or (_Tpl("咨询" + t.name + ("" if t.name.endswith("问题") else "相关问题")),)
    cp.appeal_cum = _cum(t.appeal_weights)
    cp.asks = t.asks
    cp.asks_p = tuple(a + "。" for a in t.asks)
    cp.actions = tuple(a.replace("{biz}", "涉事单位") for a in t.actions) or _DEFAULT_ACTIONS
    cp.laws = t.laws
    return cp


_DEFAULT_ACTIONS = tuple(_PHRASES["hotline"]["default_actions"])
_COMPILED: dict[str, _Compiled] = {t.key: _compile_topic(t) for t in TOPICS}

# ------------------------------------------------------------------------------------ hotline text

_H = _PHRASES["hotline"]
_OPEN_CC = tuple(_H["open_cc"])
_OPEN_CC_Q = tuple(_H["open_cc_question"])
_OPEN_CC_S = tuple(_H["open_cc_suggestion"])
_OPEN_1P = tuple(_H["open_1p"])
_NO_OPEN = ("",)
_CLOSE_CC = tuple(_H["close_cc"])
_CLOSE_CC_Q = tuple(_H["close_cc_question"])
_CLOSE_CC_S = tuple(_H["close_cc_suggestion"])
_CLOSE_CC_P = tuple(_H["close_cc_praise"])
_CLOSE_1P = tuple(_H["close_1p"])
_CLOSE_1P_Q = tuple(_H["close_1p_question"])
_CLOSE_S = tuple(_H["close_suggestion"])
_CLOSE_P = tuple(_H["close_praise"])
_PAD = tuple(_H["pad"])
_PAD_Q = tuple(_H["pad_question"])
_FILLER = _H["filler"]
_FILLER_Q = _H["filler_question"]


def _templates(key: str, kind: str | None = None) -> tuple[_Tpl, ...]:
    """The templates of phrases.toml [hotline] ``key``, compiled; ``kind`` overrides their tags' kind."""
    out = tuple(_Tpl(raw) for raw in _H[key])
    for tpl in out if kind else ():
        tpl.kind = kind
    return out


_EXTRA = _templates("extra")
_PRAISE = _templates("praise", "P")
_PRAISE_BIZ = _templates("praise_business", "P")
_PRAISE_TITLE = _templates("praise_title")
_PRAISE_TITLE_BIZ = _templates("praise_title_business")
_SUGGEST_GENERIC = _templates("suggestion_generic", "S")
_Q_PREFIX = _templates("question_prefix")
_Q_PREFIX_NOADDR = tuple(x for x in _Q_PREFIX if not x.has_addr)


def _township_of(county_code: str, address: str) -> str:
    for t in _places.TOWNSHIPS_BY_COUNTY[county_code]:
        if t in address:
            return t
    return _places.TOWNSHIPS_BY_COUNTY[county_code][0]


_SPOT_LIST = {"school": "schools", "hospital": "hospitals", "landmark": "landmarks", "market": "markets",
              "community": "communities"}


def _spot_of(p: dict, address: str, kind: str | None, rnd: _random.Random) -> str | None:
    """The place of the topic's kind named in a caller-supplied address (else a random one of that kind for
    schools/hospitals/landmarks/markets, whose templates use the spot as an entity; else None → township)."""
    key = _SPOT_LIST.get(kind)
    if key is None:
        return None
    for name in p[key]:
        if name in address:
            return name
    return None if key == "communities" else _ch(rnd, p[key])


def _make_ctx(rnd, topic, county_code, business_name, address, township_name) -> _Ctx:
    c = _Ctx()
    c.rnd = rnd
    c.county = county_code
    c.p = _places.PLACES[county_code]
    c.topic = topic
    c.biz = business_name
    if address is None:
        c.addr, c.town, c.spot = _places.address_parts(rnd, county_code, township_name, topic.addr_kind)
    else:
        c.addr = address
        c.town = township_name or _township_of(county_code, address)
        c.spot = _spot_of(c.p, address, topic.addr_kind, rnd) or c.town
    return c


def _pick_kind(rnd: _random.Random, cp: _Compiled, appeal_type: str | None) -> str:
    if appeal_type is None:
        cum, keys = cp.appeal_cum
        x = rnd.random()
        for i, a in enumerate(cum):
            if x < a:
                appeal_type = keys[i]
                break
        else:
            appeal_type = keys[-1]
    return _KIND_OF_APPEAL.get(appeal_type, "C")


def _fit(content: str, business_name: str | None, filler: str = "") -> str:
    if len(content) < 40:
        content += filler or _FILLER
        if len(content) < 40:
            content += "谢谢！" if content.endswith("。") else "。谢谢！"
            content = content.ljust(40, "！") if len(content) < 40 else content
    if len(content) > 300:
        cut = content.rfind("。", 0, 299)
        content = content[: cut + 1] if cut >= 40 else content[:299] + "。"
        if business_name and business_name not in content:
            content = (business_name + "：" + content)[:300]
    return content


def compose_hotline(rnd: _random.Random, topic: Topic, county_code: str, business_name: str | None = None,
                    address: str | None = None, *, appeal_type: str | None = None,
                    township_name: str | None = None) -> tuple[str, str]:
    """(title ≤ 30 chars, content 40–300 chars) for a 12345 work order on ``topic`` in ``county_code``.

    ``business_name`` (if given) appears verbatim in the content; topics with ``names_business`` invent a
    fictitious one when none is passed. ``appeal_type`` (咨询/求助/投诉/举报/建议/表扬/其他) picks matching
    templates; when None it is drawn from ``topic.appeal_weights``. ``address`` defaults to a random address
    in the county (``places.address_parts`` with the topic's preferred address kind); pass
    ``township_name`` rather than a ready address when possible (cheaper, and spots match the topic).
    """
    rr = rnd.random
    cp = _COMPILED[topic.key]
    c = _make_ctx(rnd, topic, county_code, business_name, address, township_name)
    kind = _pick_kind(rnd, cp, appeal_type)
    r = rr()
    praise = kind == "P"
    if business_name is not None and (cp.biz or praise):
        pool = _PRAISE_BIZ if praise else cp.biz
    elif praise:
        pool = _PRAISE
    elif kind == "S" and not cp.by_kind["S"]:
        pool = _SUGGEST_GENERIC
    else:
        pool = cp.by_kind[kind] or cp.by_kind["C"]
    tpl = pool[int(rr() * len(pool))]
    if tpl.has_biz and business_name is None and not topic.names_business and r < 0.5:
        tpl = pool[int(rr() * len(pool))]  # biz-less topics mention a business only now and then
    tk = tpl.kind
    voice = tpl.voice or ("3" if r < 0.55 else "1")
    c.voice = voice
    body = tpl.render(c)
    if tk == "Q":
        if len(body) < 48 or r < 0.25:
            qp = _Q_PREFIX_NOADDR if tpl.has_addr else _Q_PREFIX
            body = qp[int(rr() * len(qp))].render(c) + body
    elif tk == "C" and rr() < 0.3:
        body += "，" + _EXTRA[int(rr() * len(_EXTRA))].render(c)
    if tk == "P":
        if voice == "3":
            opens, closes = _OPEN_CC, _CLOSE_CC_P
        else:
            opens, closes = _OPEN_1P, _CLOSE_P
    elif tpl.voice == "3":
        opens, closes = _NO_OPEN, (_CLOSE_CC_Q if tk == "Q" else _CLOSE_CC)
    elif voice == "3":
        opens, closes = (_OPEN_CC_Q, _CLOSE_CC_Q) if tk == "Q" else (_OPEN_CC_S, _CLOSE_CC_S) if tk == "S" else (
            _OPEN_CC, _CLOSE_CC)
    else:
        opens = _OPEN_1P
        if tk == "Q":
            closes = _CLOSE_1P_Q
            body += "？"
        elif tk == "S":
            closes = _CLOSE_S
        elif cp.asks and rr() < 0.5:
            closes = cp.asks_p
        else:
            closes = _CLOSE_1P
    head = opens[int(rr() * len(opens))] + body + ("" if body[-1] == "？" else "。")
    close = closes[int(rr() * len(closes))]
    if len(head) + len(close) < 40:
        pad = _PAD_Q if tk == "Q" else _PAD
        head += pad[int(rr() * len(pad))]
    content = head + close
    if "附近附近" in content:
        content = content.replace("附近附近", "附近")
    n = len(content)
    if n < 40 or n > 300:
        content = _fit(content, business_name if business_name is not None else (c.biz if tpl.has_biz else None),
                       _FILLER if tk == "C" else _FILLER_Q)
    if business_name is not None and business_name not in content:  # topic without biz templates
        content = _fit(f"反映{business_name}的问题：" + content, business_name, _FILLER)
    # title
    if tk == "Q":
        titles = cp.titles_q
    elif tk == "S":
        titles = cp.titles_s
    elif tk == "P":
        titles = _PRAISE_TITLE_BIZ if tpl.has_biz else _PRAISE_TITLE
    else:
        titles = cp.titles if c.biz is not None else cp.titles_nobiz
    title = titles[int(rr() * len(titles))].render(c)
    if c.spot == c.town:  # "{town}{spot}占道摆摊" where the spot is the township itself
        title = title.replace(c.town * 2, c.town)
    if len(title) > 30:
        title = title[:30]
    return title, content


def pick_topic(rnd: _random.Random, category: str, month: int | None = None) -> Topic:
    """A topic of ``category`` drawn by ``weight`` × ``seasonality[month-1]`` (month 1–12, or None)."""
    ts = TOPICS_BY_CATEGORY[category]
    if len(ts) == 1:
        return ts[0]
    ws = [t.weight * (t.seasonality[month - 1] if month else 1.0) for t in ts]
    return rnd.choices(ts, ws)[0]


# -------------------------------------------------------------------------------------- replies

_R = _PHRASES["reply"]
_R_OPEN = tuple(_R["open"])
_R_VERIFY = tuple(_R["verify"])
_R_FIND = tuple(_R["finding"])
_R_FOLLOW = tuple(_R["follow_up"])
_R_CONTACT = tuple(_R["contact"])
_R_FAIR = tuple(_R["fair"])
_R_POOR = tuple(_R["poor"])


def compose_reply(rnd: _random.Random, topic: Topic, dept_name: str, quality: str) -> str:
    """The handling department's 答复内容. ``quality``: ``good`` (核实情况 + 处理措施 + 法规依据 + 联系方式),
    ``fair`` (brief but substantive) or ``poor`` (short, evasive)."""
    if quality == "poor":
        return _ch(rnd, _R_POOR)
    cp = _COMPILED[topic.key]
    action = _ch(rnd, cp.actions)
    if quality == "fair":
        return _ch(rnd, _R_FAIR).format(dept=dept_name, action=action)
    parts = [_ch(rnd, _R_OPEN).format(tname=topic.name), _ch(rnd, _R_VERIFY).format(dept=dept_name)]
    if topic.appeal_weights.get("咨询", 0) < 0.6:
        parts.append(_ch(rnd, _R_FIND))
    if cp.laws and rnd.random() < 0.75:
        parts.append(f"依据{_ch(rnd, cp.laws)}的相关规定，{action}。")
    else:
        parts.append(action + "。")
    parts.append(_ch(rnd, _R_FOLLOW))
    parts.append(_ch(rnd, _R_CONTACT).format(dept=dept_name, surname=_ch(rnd, _names.SURNAMES),
                                               tel=f"{rnd.randrange(10**7):07d}"))
    return "".join(parts)


# ------------------------------------------------------------------------------------ 数字城管

_URBAN_TEXT: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _PHRASES["urban"]["text"].items()}
_URBAN_TAIL = tuple(_PHRASES["urban"]["tail"])


def compose_urban(rnd: _random.Random, kind: str, major_name: str, minor_name: str, address: str) -> str:
    """A short 数字城管 case description (监督员 style), e.g. "鼓楼区…路灯不亮3盏，请及时处置。"."""
    opts = _URBAN_TEXT.get(minor_name)
    if opts is None:
        text = f"{address}发现{major_name}类{kind}问题：{minor_name}"
    else:
        text = _ch(rnd, opts).format(a=address, n=_ri(rnd, 2, 9))
    return text + _ch(rnd, _URBAN_TAIL)


# ---------------------------------------------------------------------------------- severe events

_S = _PHRASES["severe"]
SEVERE_PHRASES: tuple[str, ...] = tuple(_S["phrases"])
_SEVERE_TPL: dict[str, tuple[_Tpl, ...]] = {k: tuple(_Tpl(x) for x in v) for k, v in _S["templates"].items()}
_SEVERE_LABEL: dict[str, str] = dict(_S["label"])
_SEVERE_DEFAULT: dict[str, str] = dict(_S["default_by_category"])


def compose_severe(rnd: _random.Random, topic: Topic, county_code: str, business_name: str | None = None,
                   address: str | None = None) -> tuple[str, str]:
    """(title, content) for a rare severe event on ``topic`` (one of SEVERE_PHRASES is named in the text)."""
    phrase = _ch(rnd, topic.severe) if topic.severe else _SEVERE_DEFAULT.get(topic.category, "火灾隐患")
    c = _make_ctx(rnd, topic, county_code, business_name, address, None)
    c.voice = "3" if rnd.random() < 0.6 else "1"
    body = _ch(rnd, _SEVERE_TPL[phrase]).render(c)
    label = _SEVERE_LABEL[phrase]
    if c.voice == "3":
        content = f"紧急：市民来电反映，{body}，{label}，请相关部门立即处置。"
    else:
        content = f"紧急情况！{body}，{label}，请马上派人来处理！"
    content = _fit(content, c.biz)
    title = f"紧急：{c.spot}{phrase}"[:30]
    return title, content
