"""The declared column map of every source: the one place that says what each 一网统管 feed must contain.

A ``Source`` maps the headers a source system uses (Chinese, as in domain.md §2–§5) and our English column
names onto one warehouse table, with each field's type, whether it is required, its code list (from
``codes``) or the reference dimension it must resolve to. Validation, the CLI, the HTTP endpoint, the demo
export and the tables in docs/ingest.md are all derived from ``SOURCES``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

from data_access import codes, tables, uscc

# Event dates before this are typing errors, not history; registration dates may be older (REG_EARLIEST).
EARLIEST = dt.date(2000, 1, 1)
REG_EARLIEST = dt.date(1949, 10, 1)

TYPES = ("str", "int", "float", "money", "bool", "date", "datetime")
# Reference dimensions a field may have to resolve to (see ``validate.References``).
REFS = ("region", "county", "township", "department", "hotline_category", "urban_category", "reg_item", "ticket")


@dataclass(frozen=True)
class Field:
    """One column of a source file.

    ``column`` is the warehouse column (also accepted as header); ``headers`` are the source systems'
    names, the first being the one we export. ``codes`` is a tuple of allowed values, or a mapping of stored
    code → label where either is accepted and the code is stored; ``multi`` allows a list of codes.
    """

    column: str
    headers: tuple[str, ...]
    type: str = "str"
    required: bool = False
    codes: tuple[str, ...] | Mapping[str, str] | None = None
    multi: bool = False
    ref: str | None = None
    earliest: dt.date = EARLIEST
    future_ok: bool = False  # deadlines and validity ends may lie ahead

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"{self.column}: unknown type {self.type}")
        if self.ref is not None and self.ref not in REFS:
            raise ValueError(f"{self.column}: unknown reference {self.ref}")

    @property
    def label(self) -> str:
        return self.headers[0]


@dataclass(frozen=True)
class Source:
    """One file layout loaded into one table.

    ``key`` is the natural key column (it becomes ``src_id`` on lineage tables, or is the primary key of
    a dimension without lineage); ``version`` is the column whose newer value wins when the same record
    arrives again; ``event_time`` is when the thing happened (for the load-lag indicator).
    """

    name: str
    kind: str
    title: str
    table: str
    key: str
    fields: tuple[Field, ...]
    version: str | None = None
    event_time: str | None = None
    unique: str | None = None  # a column unique across source systems (e.g. 工单编号)
    derive: Callable[[pd.DataFrame], pd.DataFrame] | None = None
    checks: Callable[[pd.DataFrame], list[tuple[pd.Series, str]]] | None = None

    @property
    def lineage(self) -> bool:
        return "src_system" in tables.metadata.tables[self.table].c

    @property
    def field_by_column(self) -> dict[str, Field]:
        return {f.column: f for f in self.fields}

    def max_length(self, column: str) -> int | None:
        table = tables.metadata.tables[self.table]
        return getattr(table.c[column].type, "length", None) if column in table.c else None


def _lineage_fields() -> tuple[Field, ...]:
    """Optional on every lineage source: lets an exported file round-trip onto the rows it came from."""
    return (Field("src_system", ("来源系统",)), Field("src_id", ("来源记录编号",)))


# ------------------------------------------------------------------------------------------ derivations


def _derive_hotline(df: pd.DataFrame) -> pd.DataFrame:
    """A work order's version is its last state change when the system does not send 更新时间."""
    if "updated_at" not in df:
        df["updated_at"] = pd.NaT
    if df["updated_at"].hasnans:  # the row-wise maximum only when a row lacks 更新时间
        stamps = [c for c in ("finished_at", "replied_at", "signed_at", "dispatched_at", "accepted_at") if c in df]
        df["updated_at"] = df["updated_at"].fillna(df[stamps].max(axis=1))
    return df


def _derive_subject(df: pd.DataFrame) -> pd.DataFrame:
    # Real registers hold codes failing the check digit: flag them, never reject (domain.md §9).
    df["uscc_valid"] = [uscc.is_valid(c) for c in df["uscc"]]
    if "subject_type" not in df or df["subject_type"].isna().any():
        prefix = df["uscc"].str[:2]
        guess = prefix.where(prefix.isin(list(codes.SUBJECT_TYPES)))
        df["subject_type"] = df.get("subject_type", pd.Series(None, index=df.index)).fillna(guess)
    return df


def _derive_inspection(df: pd.DataFrame) -> pd.DataFrame:
    problem = {code: flag for code, _, flag in codes.INSPECTION_RESULTS}
    derived = df["result"].map(problem)
    df["has_problem"] = df["has_problem"].where(df["has_problem"].notna(), derived) if "has_problem" in df else derived
    return df


def _derive_credit_list(df: pd.DataFrame) -> pd.DataFrame:
    if "src_id" not in df or df["src_id"].isna().any():
        key = df["subject_uscc"] + "|" + df["list_type"] + "|" + df["in_date"].dt.strftime("%Y-%m-%d")
        df["src_id"] = df.get("src_id", pd.Series(None, index=df.index)).fillna(key)
    return df


def _derive_credit_grade(df: pd.DataFrame) -> pd.DataFrame:
    if "src_id" not in df or df["src_id"].isna().any():
        key = df["subject_uscc"] + "|" + df["evaluated_on"].dt.strftime("%Y-%m-%d")
        df["src_id"] = df.get("src_id", pd.Series(None, index=df.index)).fillna(key)
    return df


def _derive_event(df: pd.DataFrame) -> pd.DataFrame:
    if "src_id" not in df or df["src_id"].isna().any():
        key = df["order_no"] + "|" + df["event"] + "|" + df["at"].dt.strftime("%Y%m%d%H%M%S")
        df["src_id"] = df.get("src_id", pd.Series(None, index=df.index)).fillna(key)
    return df


# ----------------------------------------------------------------------------------------------- checks


def _before(df: pd.DataFrame, early: str, late: str) -> pd.Series:
    """Rows where both moments are known and ``late`` precedes ``early``."""
    if early not in df or late not in df:
        return pd.Series(False, index=df.index)
    return (df[late] < df[early]).fillna(False).astype(bool)


def _checks_hotline(df: pd.DataFrame) -> list[tuple[pd.Series, str]]:
    return [(_before(df, "accepted_at", "dispatched_at"), "派单时间早于受理时间"),
            (_before(df, "accepted_at", "finished_at"), "办结时间早于受理时间")]


def _checks_urban(df: pd.DataFrame) -> list[tuple[pd.Series, str]]:
    return [(_before(df, "reported_at", "closed_at"), "结案时间早于上报时间")]


def _checks_inspection(df: pd.DataFrame) -> list[tuple[pd.Series, str]]:
    submitted_day = df["submitted_at"].dt.normalize()
    return [((submitted_day < df["check_date"]).fillna(False), "报送时间早于检查时间"),
            ((df["inspectors_n"] < 2).fillna(False), "检查人员少于2人（行政检查须不少于2名执法人员）")]


def _checks_penalty(df: pd.DataFrame) -> list[tuple[pd.Series, str]]:
    return [(_before(df, "filed_at", "decided_at"), "处罚决定日期早于立案日期"),
            (_before(df, "filed_at", "closed_at"), "结案日期早于立案日期"),
            ((df["fine_amount"] < 0).fillna(False), "罚款金额为负数")]


def _checks_credit_list(df: pd.DataFrame) -> list[tuple[pd.Series, str]]:
    return [(_before(df, "in_date", "out_date"), "移出日期早于列入日期")]


def _checks_grade(df: pd.DataFrame) -> list[tuple[pd.Series, str]]:
    return [(~df["score"].between(0, 100).fillna(True), "信用分值应在0–100之间")]


# ---------------------------------------------------------------------------------------------- sources

# What users call each source kind (the data-quality page, the 数据中断 lead).
KIND_NAMES = {"hotline": "12345热线", "urban": "数字城管", "provincial": "省级线索", "inspection": "行政检查",
              "penalty": "行政处罚", "entity": "市场主体", "credit": "信用", "catalog": "监管事项目录"}

HOTLINE = Source(
    "hotline", "hotline", "12345工单", "fact_hotline_ticket", key="order_no", version="updated_at",
    event_time="accepted_at", unique="order_no", derive=_derive_hotline, checks=_checks_hotline,
    fields=(
        Field("order_no", ("工单编号", "工单号"), required=True),
        Field("accepted_at", ("来电时间", "受理时间"), "datetime", required=True),
        Field("channel", ("诉求渠道", "受理渠道"), required=True, codes=codes.CHANNELS),
        Field("appeal_type", ("诉求类型",), required=True, codes=codes.APPEAL_TYPES),
        Field("category_code", ("问题分类", "问题分类（一级）"), required=True, ref="hotline_category"),
        Field("title", ("诉求标题",), required=True),
        Field("content", ("诉求内容",), required=True),
        Field("caller_name", ("诉求人",)),
        Field("caller_phone", ("来电号码",)),
        Field("region_code", ("所属区县", "区县"), required=True, ref="county"),
        Field("township_code", ("乡镇街道",), ref="township"),
        Field("address", ("事发地址",)),
        Field("is_urgent", ("是否紧急",), "bool"),
        Field("handle_mode", ("办理方式",), required=True, codes=codes.HANDLE_MODES),
        Field("main_dept_code", ("承办单位", "主办单位"), ref="department"),
        Field("dispatched_at", ("派单时间",), "datetime"),
        Field("sign_deadline", ("签收时限",), "datetime", future_ok=True),
        Field("signed_at", ("签收时间",), "datetime"),
        Field("handle_deadline", ("办理时限", "截止时间"), "datetime", future_ok=True),
        Field("replied_at", ("答复时间",), "datetime"),
        Field("finished_at", ("办结时间",), "datetime"),
        Field("status", ("工单状态",), required=True, codes=codes.HOTLINE_STATUSES),
        Field("reply_content", ("答复内容",)),
        Field("return_count", ("退单次数",), "int"),
        Field("redo_count", ("重办次数",), "int"),
        Field("extension_days", ("延期天数",), "int"),
        Field("is_repeat", ("是否重复件",), "bool"),
        Field("satisfaction", ("满意度",), codes=codes.SATISFACTION),
        Field("is_solved", ("是否解决",), "bool"),
        Field("subject_uscc", ("涉及企业统一社会信用代码", "统一社会信用代码")),
        Field("updated_at", ("更新时间",), "datetime"),
        *_lineage_fields(),
    ),
)

HOTLINE_EVENTS = Source(
    "hotline_events", "hotline", "12345工单流转记录", "fact_hotline_event", key="src_id",
    event_time="at", derive=_derive_event,
    fields=(
        Field("order_no", ("工单编号", "工单号"), required=True, ref="ticket"),
        Field("event", ("流转环节", "环节"), required=True, codes=codes.HOTLINE_EVENTS),
        Field("at", ("操作时间", "流转时间"), "datetime", required=True),
        Field("actor_dept_code", ("操作单位",), ref="department"),
        Field("note", ("流转意见", "备注")),
        *_lineage_fields(),
    ),
)

URBAN = Source(
    "urban", "urban", "数字城管案卷", "fact_urban_case", key="case_no", event_time="reported_at",
    unique="case_no", checks=_checks_urban,
    fields=(
        Field("case_no", ("案卷号", "案卷编号"), required=True),
        Field("source", ("问题来源",), required=True, codes=codes.URBAN_SOURCES),
        Field("category_code", ("问题小类", "问题类别"), required=True, ref="urban_category"),
        Field("description", ("问题描述",), required=True),
        Field("region_code", ("所属区县", "区县"), required=True, ref="county"),
        Field("township_code", ("乡镇街道",), ref="township"),
        Field("address", ("地址", "事发地址")),
        Field("dispose_dept_code", ("处置部门",), required=True, ref="department"),
        Field("reported_at", ("上报时间",), "datetime", required=True),
        Field("dispatched_at", ("派遣时间",), "datetime"),
        Field("dispose_deadline", ("处置时限",), "datetime", future_ok=True),
        Field("disposed_at", ("处置完成时间",), "datetime"),
        Field("closed_at", ("结案时间",), "datetime"),
        Field("status", ("案卷状态", "状态"), required=True, codes=codes.URBAN_STATUSES),
        Field("rework_count", ("返工次数",), "int"),
        Field("is_overdue", ("是否超期",), "bool"),
        *_lineage_fields(),
    ),
)

PROVINCIAL = Source(
    "provincial", "provincial", "省级投诉举报/风险线索", "fact_provincial_lead", key="lead_no",
    event_time="pushed_at", unique="lead_no",
    fields=(
        Field("lead_no", ("线索编号",), required=True),
        Field("title", ("线索标题", "标题"), required=True),
        Field("content", ("线索内容", "内容"), required=True),
        Field("region_code", ("所属区县", "区县"), required=True, ref="county"),
        Field("dept_code", ("承办单位", "责任部门"), required=True, ref="department"),
        Field("subject_uscc", ("统一社会信用代码",)),
        Field("pushed_at", ("下发时间", "推送时间"), "datetime", required=True),
        Field("feedback_deadline", ("反馈期限",), "datetime", future_ok=True),
        Field("status", ("办理状态", "状态"), required=True, codes=codes.PROVINCIAL_LEAD_STATUSES),
        *_lineage_fields(),
    ),
)

INSPECTION = Source(
    "inspection", "inspection", "行政检查行为", "fact_inspection", key="check_action_code",
    event_time="check_date", unique="check_action_code", derive=_derive_inspection, checks=_checks_inspection,
    fields=(
        Field("check_action_code", ("检查行为编号", "检查编号"), required=True),
        Field("item_code", ("监管事项目录编码",), required=True, ref="reg_item"),
        Field("impl_code", ("检查实施清单编码",)),
        Field("dept_code", ("实施机构编码", "实施机构"), required=True, ref="department"),
        Field("subject_uscc", ("行政相对人编码", "统一社会信用代码"), required=True),
        Field("region_code", ("行政区划代码", "所属区县"), required=True, ref="county"),
        Field("check_form", ("检查形式",), required=True, codes=codes.CHECK_FORMS),
        Field("check_category", ("检查类别",), required=True, codes=codes.CHECK_CATEGORIES),
        Field("check_source", ("检查来源",), required=True, codes=codes.CHECK_SOURCES),
        Field("check_date", ("检查时间", "检查日期"), "date", required=True),
        Field("submitted_at", ("报送时间",), "datetime", required=True),
        Field("inspectors_n", ("检查人数", "检查人员数"), "int", required=True),
        Field("result", ("检查结果",), required=True,
              codes={code: label for code, label, _ in codes.INSPECTION_RESULTS}),
        Field("has_problem", ("是否发现问题",), "bool"),
        Field("followup", ("后续处置",), required=True, codes=codes.INSPECTION_FOLLOWUPS),
        *_lineage_fields(),
    ),
)

PENALTY = Source(
    "penalty", "penalty", "行政处罚行为", "fact_penalty", key="decision_no", event_time="decided_at",
    unique="decision_no", checks=_checks_penalty,
    fields=(
        Field("decision_no", ("处罚决定书文号", "处罚文书号"), required=True),
        Field("item_code", ("监管事项目录编码",), required=True, ref="reg_item"),
        Field("dept_code", ("实施机构编码", "处罚机关"), required=True, ref="department"),
        Field("subject_uscc", ("行政相对人编码", "统一社会信用代码"), required=True),
        Field("region_code", ("行政区划代码", "所属区县"), required=True, ref="county"),
        Field("case_source", ("案件来源",), required=True, codes=codes.CASE_SOURCES),
        Field("procedure", ("处罚程序",), required=True, codes=codes.PENALTY_PROCEDURES),
        Field("penalty_types", ("处罚种类",), required=True, codes=codes.PENALTY_TYPES, multi=True),
        Field("illegal_facts", ("违法事实",)),
        Field("fine_amount", ("罚款金额", "罚款金额（元）"), "money", required=True),
        Field("filed_at", ("立案日期", "处罚立案时间"), "date", required=True),
        Field("decided_at", ("处罚决定日期", "作出行政处罚决定日期"), "date", required=True),
        Field("closed_at", ("结案日期",), "date"),
        Field("related_check_code", ("检查行为编号",)),
        Field("is_major_case", ("是否重大案件",), "bool"),
        *_lineage_fields(),
    ),
)

ENTITY = Source(
    "entity", "entity", "市场主体登记信息", "dim_subject", key="uscc", derive=_derive_subject,
    unique="uscc",  # one register entry per USCC: another system's entry for it is quarantined, not added
    fields=(
        Field("uscc", ("统一社会信用代码",), required=True),
        Field("name", ("主体名称", "企业名称"), required=True),
        Field("subject_type", ("主体类型",), codes=codes.SUBJECT_TYPES),
        Field("industry_code", ("行业门类",), required=True,
              codes={code: label for code, label, _ in codes.INDUSTRIES}),
        Field("status", ("登记状态",), required=True, codes=codes.SUBJECT_STATUSES),
        Field("region_code", ("所属区县", "登记机关区划"), required=True, ref="county"),
        Field("township_code", ("乡镇街道",), ref="township"),
        Field("address", ("住所", "经营场所")),
        Field("legal_rep", ("法定代表人", "经营者")),
        Field("reg_date", ("成立日期", "登记日期"), "date", required=True, earliest=REG_EARLIEST),
        Field("has_food_permit", ("是否持有食品经营许可",), "bool"),
        *_lineage_fields(),
    ),
)

CREDIT_LIST = Source(
    "credit_list", "credit", "信用名单", "fact_credit_list", key="src_id", event_time="in_date",
    derive=_derive_credit_list, checks=_checks_credit_list,
    fields=(
        Field("subject_uscc", ("统一社会信用代码",), required=True),
        Field("list_type", ("名单类型",), required=True, codes=codes.CREDIT_LIST_TYPES),
        Field("reason", ("列入原因",)),
        Field("decided_by_dept_code", ("作出决定机关",), required=True, ref="department"),
        Field("in_date", ("列入日期",), "date", required=True),
        Field("out_date", ("移出日期",), "date"),
        *_lineage_fields(),
    ),
)

CREDIT_GRADE = Source(
    "credit_grade", "credit", "信用风险分类结果", "fact_credit_grade", key="src_id", event_time="evaluated_on",
    derive=_derive_credit_grade, checks=_checks_grade,
    fields=(
        Field("subject_uscc", ("统一社会信用代码",), required=True),
        Field("grade", ("信用风险等级", "风险等级"), required=True, codes=codes.CREDIT_GRADES),
        Field("score", ("信用分值", "评分"), "float", required=True),
        Field("evaluated_on", ("评价日期",), "date", required=True),
        *_lineage_fields(),
    ),
)

REG_ITEM = Source(
    "catalog_item", "catalog", "监管事项目录", "dim_reg_item", key="item_code",
    fields=(
        Field("item_code", ("事项编码", "监管事项目录编码"), required=True),
        Field("parent_code", ("父级事项编码", "所属主项编码")),
        Field("item_level", ("事项层级",), required=True, codes=codes.REG_ITEM_LEVELS),
        Field("name", ("事项名称", "监管事项名称"), required=True),
        Field("dept_code", ("监管部门编码", "监管部门"), required=True, ref="department"),
        Field("item_category", ("事项类别",), required=True, codes=codes.REG_ITEM_CATEGORIES),
        Field("supervised_object", ("监管对象",)),
        Field("set_basis", ("设定依据",)),
        Field("hotline_category_code", ("对应12345问题分类",), ref="hotline_category"),
        Field("claimed", ("是否认领",), "bool"),
        Field("valid_from", ("生效日期",), "date", required=True),
        Field("valid_to", ("失效日期", "取消日期"), "date", future_ok=True),
    ),
)

CHECK_IMPL = Source(
    "catalog_impl", "catalog", "检查实施清单", "dim_check_impl", key="impl_code",
    fields=(
        Field("impl_code", ("检查实施清单编码",), required=True),
        Field("item_code", ("对应子项编码", "事项编码"), required=True, ref="reg_item"),
        Field("impl_dept_code", ("实施主体编码", "实施主体"), required=True, ref="department"),
        Field("region_code", ("行政区划代码", "所属区县"), required=True, ref="region"),
        Field("exercise_level", ("行使层级",), required=True, codes=codes.EXERCISE_LEVELS),
        Field("check_category", ("检查类别",), required=True, codes=codes.CHECK_CATEGORIES),
        Field("is_random", ("是否纳入双随机",), "bool", required=True),
        Field("sample_ratio", ("抽查比例",), "float"),
        Field("frequency_text", ("检查频次",)),
        Field("is_joint", ("是否协同",), "bool"),
    ),
)

SOURCES: tuple[Source, ...] = (HOTLINE, HOTLINE_EVENTS, URBAN, PROVINCIAL, INSPECTION, PENALTY, ENTITY,
                               CREDIT_LIST, CREDIT_GRADE, REG_ITEM, CHECK_IMPL)
SOURCE_BY_NAME = {s.name: s for s in SOURCES}
KINDS: tuple[str, ...] = tuple(codes.INGEST_KINDS)


def sources_of(kind: str) -> tuple[Source, ...]:
    """The layouts a KIND accepts; a file's headers decide which one it is (``pick_source``)."""
    if kind not in codes.INGEST_KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    return tuple(s for s in SOURCES if s.kind == kind)


def header_index(source: Source) -> dict[str, str]:
    """Normalised header → column, for every accepted header (Chinese names and the English column)."""
    index = {}
    for f in source.fields:
        for h in (f.column, *f.headers):
            index[normalise_header(h)] = f.column
    return index


def normalise_header(header: str) -> str:
    """Headers compare without surrounding blanks, BOM, full-width brackets or letter case."""
    return (str(header).strip().lstrip("\ufeff").replace("（", "(").replace("）", ")").replace(" ", "")
            .casefold())
