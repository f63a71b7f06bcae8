"""Refused user, key, wall-token and password operations speak Chinese on the pages (用户与密钥 shows
``操作失败：…``) and keep their English message for the command line."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.orm import Session

from security import api_keys, kiosk, users
from security.errors import OperatorError

LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


def _refusals(session: Session):
    users.add_user(session, "taken", "ANALYST", "Kf-Taken-1234", actor="test")
    yield lambda: users.add_user(session, "X", "ANALYST", "Kf-Strong-1234", actor="test")
    yield lambda: users.add_user(session, "taken", "ANALYST", "Kf-Strong-1234", actor="test")
    yield lambda: users.add_user(session, "weakling", "ANALYST", "password", actor="test")
    yield lambda: users.add_user(session, "nodept", "DEPT_HEAD", "Kf-Strong-1234", actor="test")
    yield lambda: users.add_user(session, "wrongrole", "BOSS", "Kf-Strong-1234", actor="test")
    yield lambda: users.disable_user(session, "nobody", actor="test")
    yield lambda: users.reset_password(session, "taken", "short", actor="test")
    yield lambda: kiosk.create(session, "大厅 屏", actor="test")
    yield lambda: kiosk.revoke(session, "hall-9", actor="test")
    yield lambda: api_keys.create(session, "bad system!", actor="test")
    yield lambda: api_keys.create(session, "KF12345", actor="test", kinds=["weather"])
    yield lambda: api_keys.revoke(session, "bja_nothing", actor="test")


def test_every_refusal_has_a_chinese_message_for_the_pages(demo_engine_copy):
    with Session(demo_engine_copy) as session:
        refusals = list(_refusals(session))
        assert len(refusals) == 12
        for attempt in refusals:
            with pytest.raises(OperatorError) as caught:
                attempt()
            zh, en = caught.value.zh, str(caught.value)
            assert re.search(r"[\u4e00-\u9fff]", zh), en
            # the only Latin letters left are what the operator typed (a name, a prefix, a kind)
            typed = {"taken", "nobody", "hall", "bja_nothing", "weather", "BOSS"}
            assert not [w for w in LATIN_WORD.findall(zh) if not any(w in t for t in typed)], zh
            assert LATIN_WORD.search(en), zh  # the command line keeps its English message
