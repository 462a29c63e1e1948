"""The questions residents ask most online: candidates for the street's FAQ.

Residents wrap the same question in their own words ("我刚退休，您好，想咨询社保断缴了能补吗？").
A question's **core** is its first clause that asks something (a question mark, or 吗 / 怎么 /
如何 / 哪里 / 能不能 / 可以 / 是否 / 多少 / 什么 / 几 ...), without the greeting or "想咨询一下"
before it and the particles after it. Questions with the same core are the same question; the
ones asked most are worth a written answer. Complaints about staff are not FAQ material and are left
out. Cores are masked (data_access/masking.py) before they leave this module, and only staff see
them: a resident may write a name or a door number into the question itself.
"""

from __future__ import annotations

import re
from datetime import datetime

import pandas as pd
from sqlalchemy import and_, func, select, true
from sqlalchemy.engine import Engine

from data_access.access import declare
from data_access.consultations import not_staff_complaint
from data_access.filters import EVERYWHERE, IssueFilters
from data_access.frames import read_frame
from data_access.masking import mask
from data_access.schema import consultations
from data_access.scope import Scope
from data_access.segment import clean

MAX_QUESTIONS = 20_000  # newest first, per call
_CLAUSE = re.compile(r"[^,，。.!！?？;；\n]+[?？]?")
_ASKS = re.compile(
    r"[?？]|吗|怎么|怎样|如何|哪里|哪儿|哪些|能不能|能否|可不可以|可以|是否|多少|什么|几|有没有|要不要|多久"
)
_OPENER = re.compile(
    r"^[^\u4e00-\u9fff\d]*(?:(?:您好|你好|请问|打扰一下|麻烦问下|麻烦问一下|想咨询一下|想咨询|咨询一下|想问一下|问一下|想问|我想问|"
    r"我想咨询|请教一下|请教)[,，、\s]*)+"
)
_TAIL = re.compile(r"[呢啊呀吧哈嘛]+$|[?？\s]+$")


def question_core(text: object) -> str:
    """The clause that asks, without greeting and particles: "你好，请问临时救助能申请吗？" ->
    "临时救助能申请吗". '' when nothing in the text asks."""
    for clause in _CLAUSE.findall(clean(text)):
        if not _ASKS.search(clause):
            continue
        core = _OPENER.sub("", clause.strip())
        core = _TAIL.sub("", _TAIL.sub("", core)).strip()
        if len(core) >= 4:
            return core
    return ""


@declare("staff")
def frequent_questions(
    engine: Engine,
    scope: Scope,
    since: datetime | None,
    until: datetime | None,
    area: IssueFilters = EVERYWHERE,
    limit: int = 20,
) -> pd.DataFrame:
    """The questions asked most in the period (by core, masked): how often, their usual topic, and
    when last asked; most asked first, then most recent."""
    parts = [
        scope.on_grid(consultations.c.grid_id),
        area.on_grid(consultations.c.grid_id),
        consultations.c.question.is_not(None),
        not_staff_complaint(),
    ]
    if since is not None:
        parts.append(consultations.c.asked_at >= since)
    if until is not None:
        parts.append(consultations.c.asked_at < until)
    query = (
        select(
            consultations.c.asked_at,
            func.coalesce(consultations.c.topic_code, "").label("topic_code"),
            func.substr(consultations.c.question, 1, 300).label("question"),
        )
        .where(and_(true(), *parts))
        .order_by(consultations.c.asked_at.desc())
        .limit(MAX_QUESTIONS)
    )
    rows = read_frame(engine, query)
    columns = ["question", "asked", "topic_code", "last_asked"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    rows["core"] = [question_core(text) for text in rows["question"]]
    rows = rows[rows["core"] != ""]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    grouped = rows.groupby("core")
    frame = pd.DataFrame(
        {
            "asked": grouped.size(),
            "topic_code": grouped["topic_code"].agg(lambda s: s.value_counts().index[0]),
            "last_asked": grouped["asked_at"].max(),
        }
    ).reset_index()
    frame = frame.sort_values(["asked", "last_asked", "core"], ascending=[False, False, True]).head(limit)
    frame["question"] = [mask(core) for core in frame["core"]]
    frame["topic_code"] = frame["topic_code"].replace("", None)
    return frame[columns].reset_index(drop=True)
