"""社区E家: shared parking and online consultations, on SQLite, PostgreSQL and the analytical copy,
against the independent computations in tests/reference.py; who may see what."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pandas as pd
import pytest

from data_access import consultations, parking
from data_access.errors import AccessDenied
from data_access.filters import EVERYWHERE, IssueFilters
from data_access.scope import Scope
from tests import reference

AT = datetime(2026, 11, 29)
PERIODS = {
    "120 days": (datetime(2026, 8, 1), AT),
    "everything": (datetime(2020, 1, 1), AT),
    "nothing": (datetime(2030, 1, 1), datetime(2030, 2, 1)),
}
STREET = Scope.street()


def close(a, b, tol=1e-6) -> bool:  # noqa: ANN001
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    return b is not None and abs(float(a) - float(b)) <= tol * max(1.0, abs(float(b)))


def grids_of(raw, community_id: str) -> list[str]:  # noqa: ANN001
    return list(raw["grids"].loc[raw["grids"]["community_id"] == community_id, "grid_id"])


# --- parking -------------------------------------------------------------------------------------


@pytest.mark.parametrize("period", PERIODS)
def test_parking_figures_equal_the_reference(engine, raw, period) -> None:
    since, until = PERIODS[period]
    expected = reference.parking(raw, since, until)
    found = parking.parking_figures(engine, STREET, since, until)
    for key, value in expected.items():
        assert close(found[key], value), (key, found[key], value)
    if period != "nothing":
        assert expected["bookings"] > 0 and expected["unmet"] > 0 and expected["no_shows"] > 0


def test_parking_in_a_community_and_a_grid(engine, raw) -> None:
    since, until = PERIODS["everything"]
    community = grids_of(raw, "C02")
    expected = reference.parking(raw, since, until, community)
    found = parking.parking_figures(engine, Scope.community("C02"), since, until)
    assert all(close(found[k], v) for k, v in expected.items())
    one = community[:1]
    assert close(parking.parking_figures(engine, Scope.grids(*one), since, until)["offered_hours"],
                 reference.parking(raw, since, until, one)["offered_hours"])
    narrowed = parking.parking_figures(engine, STREET, since, until, IssueFilters(community_ids=("C02",)))
    assert close(narrowed["booked_hours"], expected["booked_hours"])


def test_parking_by_community_adds_up_and_matches(engine, raw) -> None:
    since, until = PERIODS["120 days"]
    frame = parking.parking_by_community(engine, STREET, since, until).set_index("community_id")
    for community_id in raw["communities"]["community_id"]:
        expected = reference.parking(raw, since, until, grids_of(raw, community_id))
        if community_id not in frame.index:
            assert expected["windows"] == 0 and expected["unmet"] == 0
            continue
        row = frame.loc[community_id]
        for key in ("spaces", "offered_hours", "booked_hours", "bookings", "unmet", "utilisation", "unmet_share"):
            assert close(row[key], expected[key]), (community_id, key)


def test_demand_by_grid_puts_unmet_demand_first(engine, raw) -> None:
    since, until = PERIODS["everything"]
    frame = parking.demand_by_grid(engine, STREET, since, until).set_index("grid_id")
    for grid_id in raw["grids"]["grid_id"]:
        expected = reference.parking(raw, since, until, [grid_id])
        requests = expected["bookings"] + expected["unmet"]
        if requests == 0:
            assert grid_id not in frame.index
            continue
        row = frame.loc[grid_id]
        assert (row["requests"], row["unmet"], row["spaces"]) == (requests, expected["unmet"], expected["spaces"])
        assert close(row["unmet_share"], expected["unmet_share"])
    assert list(frame["unmet"]) == sorted(frame["unmet"], reverse=True)
    assert (frame.loc[frame["spaces"] == 0, "unmet_share"] == 1.0).all()
    assert (frame["spaces"] == 0).any()  # the demo has grids where residents ask and nobody offers


def test_parking_by_hour_cuts_at_the_local_hour_marks(engine, raw) -> None:
    since, until = PERIODS["120 days"]
    shares = raw["parking_shares"]
    windows = shares[(shares["available_from"] >= since) & (shares["available_from"] < until)]
    bookings = raw["parking_bookings"]
    held = bookings[bookings["share_id"].isin(windows["share_id"]) & (bookings["status"] != "cancelled")]
    offered = reference.hours_by_local_slot(windows["available_from"], windows["available_to"])
    booked = reference.hours_by_local_slot(held["starts_at"], held["ends_at"])
    frame = parking.parking_by_hour(engine, STREET, since, until).set_index(["weekday", "hour"])
    assert len(frame) == 7 * 24
    for (weekday, hour), value in offered.items():
        assert close(frame.loc[(weekday, hour), "offered_hours"], value), (weekday, hour)
    for (weekday, hour), value in booked.items():
        assert close(frame.loc[(weekday, hour), "booked_hours"], value), (weekday, hour)
    assert close(frame["offered_hours"].sum(), reference.parking(raw, since, until)["offered_hours"])
    # The demo's commuters' spaces are offered on weekday daytimes only: nothing at 03:00 on a Sunday
    # but the night spaces, and more offered at 10:00 on a Tuesday than at 10:00 on a Sunday.
    assert frame.loc[(1, 10), "offered_hours"] > frame.loc[(6, 10), "offered_hours"]


def test_new_spaces_by_month_count_each_space_once(engine, raw) -> None:
    frame = parking.new_spaces_by_month(engine, STREET, None, None)
    assert frame["new_spaces"].sum() == raw["parking_shares"]["space_ref"].nunique()
    first = reference.local(raw["parking_shares"].groupby("space_ref")["available_from"].min())
    expected = first.dt.strftime("%Y-%m").value_counts().sort_index()
    assert dict(zip(frame["month"], frame["new_spaces"])) == expected.to_dict()


def test_staff_see_spaces_and_owners_masked_the_public_cannot_ask(engine, raw) -> None:
    since, until = PERIODS["everything"]
    spaces = parking.parking_spaces(engine, STREET, since, until)
    assert len(spaces) == raw["parking_shares"]["space_ref"].nunique()
    names = set(raw["residents"]["name"])
    assert not set(spaces["owner"]) & names  # masked, never a whole name
    assert spaces["owner"].str.contains(r"\*").all()
    owners = parking.parking_owners(engine, STREET, since, until)
    assert owners["spaces"].sum() == raw["parking_shares"].dropna(subset=["owner_resident_id"])["space_ref"].nunique()
    assert "plate" not in spaces.columns and "owner_resident_id" not in spaces.columns
    for function in (parking.parking_spaces, parking.parking_owners):
        with pytest.raises(AccessDenied):
            function(engine, Scope.public_visitor(), since, until)
    theirs = parking.parking_spaces(engine, Scope.community("C02"), since, until)
    assert set(theirs["grid_id"]) <= set(grids_of(raw, "C02"))


# --- consultations -------------------------------------------------------------------------------


@pytest.mark.parametrize("period", PERIODS)
def test_consultation_figures_equal_the_reference(engine, raw, period) -> None:
    since, until = PERIODS[period]
    expected = reference.consultation_figures(raw, since, until)
    found = consultations.consultation_figures(engine, STREET, since, until)
    for key, value in expected.items():
        assert close(found[key], value), (key, found[key], value)


def test_response_by_topic_leaves_complaints_about_staff_out(engine, raw) -> None:
    since, until = PERIODS["everything"]
    frame = consultations.response_by_topic(engine, STREET, since, until)
    assert "complaint_staff" not in set(frame["topic_code"])
    for _, row in frame.iterrows():
        part = {"consultations": raw["consultations"][raw["consultations"]["topic_code"] == row["topic_code"]],
                "consultation_topics": raw["consultation_topics"]}
        expected = reference.consultation_figures(part, since, until)
        for key in ("asked", "answered", "within_target_share", "median_hours", "p90_hours"):
            assert close(row[key], expected[key]), (row["topic_code"], key)


def test_complaints_about_staff_for_street_officials_only(engine, raw) -> None:
    since, until = PERIODS["everything"]
    found = consultations.staff_complaints(engine, STREET, since, until, AT)
    expected = reference.consultation_figures(raw, since, until, complaints=True)
    assert found["figures"]["asked"] == expected["asked"] == len(found["rows"]) > 0
    assert close(found["figures"]["median_hours"], expected["median_hours"])
    for scope in (Scope.public_visitor(), Scope.community("C02"), Scope.grids("C02-G1")):
        with pytest.raises(AccessDenied):
            consultations.staff_complaints(engine, scope, since, until, AT)
    assert "question" not in found["rows"].columns and "resident_id" not in found["rows"].columns


def test_backlog_by_age_and_the_waiting_list(engine, raw) -> None:
    expected = reference.consultation_backlog(raw, AT)
    frame = consultations.backlog_by_age(engine, STREET, AT)
    assert dict(zip(frame["bucket"], frame["waiting"])) == {k: expected.get(k, 0) for k in frame["bucket"]}
    waiting = consultations.waiting_consultations(engine, STREET, AT, limit=10_000)
    assert len(waiting) == frame["waiting"].sum() > 0
    assert list(waiting["waiting_hours"]) == sorted(waiting["waiting_hours"], reverse=True)
    assert "question" not in waiting.columns
    with pytest.raises(AccessDenied):
        consultations.waiting_consultations(engine, Scope.public_visitor(), AT)
    assert consultations.backlog_by_age(engine, STREET, datetime(2000, 1, 1))["waiting"].sum() == 0


def test_topics_by_month_add_up_to_the_figures(engine, raw) -> None:
    since, until = PERIODS["120 days"]
    frame = consultations.topics_by_month(engine, STREET, since, until)
    assert frame["asked"].sum() == reference.consultation_figures(raw, since, until)["asked"]
    community = consultations.topics_by_month(engine, Scope.community("C03"), since, until)
    rows = raw["consultations"]
    mine = rows[rows["grid_id"].isin(grids_of(raw, "C03")) & (rows["asked_at"] >= since) & (rows["asked_at"] < until)
                & (rows["topic_code"] != "complaint_staff")]
    assert community["asked"].sum() == len(mine)


def test_a_community_never_sees_another_communitys_consultations(engine, raw) -> None:
    since, until = PERIODS["everything"]
    theirs = consultations.waiting_consultations(engine, Scope.community("C02"), AT, limit=10_000)
    assert set(theirs["grid_id"].dropna()) <= set(grids_of(raw, "C02"))
    mine = consultations.consultation_figures(engine, Scope.community("C02"), since, until)
    part = raw | {"consultations": raw["consultations"][raw["consultations"]["grid_id"].isin(grids_of(raw, "C02"))]}
    assert mine["asked"] == reference.consultation_figures(part, since, until)["asked"]
    assert pd.notna(mine["median_hours"])


# --- what residents ask for ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def themed(raw) -> pd.DataFrame:  # noqa: ANN001
    from data_access.themes import themes_of

    since, until = PERIODS["120 days"]
    texts = reference.theme_texts(raw, since, until)
    texts["themes"] = [themes_of(t) for t in texts["text"]]
    return texts


def test_theme_table_counts_each_text_once_per_theme(engine, raw, themed) -> None:
    from data_access import feedback

    since, until = PERIODS["120 days"]
    table = feedback.theme_table(engine, STREET, since, until).set_index("theme")
    expected = themed.assign(theme=[sorted(t) for t in themed["themes"]]).explode("theme").dropna(subset=["theme"])
    counts = expected.groupby("theme").size()
    assert dict(table["texts"]) == counts.to_dict()
    assert dict(table["issues"]) == expected[expected["source"] == "issue"].groupby("theme").size().reindex(
        counts.index, fill_value=0).to_dict()
    assert dict(table["groups"]) == expected.groupby("theme")["group"].nunique().to_dict()
    # Themes cut across categories: several are raised by reports of three or more categories, and
    # the theme counts are not the category counts under other names.
    by_category = expected[expected["source"] == "issue"].groupby("theme")["group"].nunique()
    assert (by_category >= 3).sum() >= 3
    category_counts = set(themed[themed["source"] == "issue"]["group"].value_counts())
    assert set(table["texts"]) - category_counts
    assert list(table["score"]) == sorted(table["score"], reverse=True)


def test_activities_held_are_set_beside_the_themes(engine, raw) -> None:
    from data_access import feedback
    from data_access.themes import themes_of

    since, until = PERIODS["120 days"]
    table = feedback.theme_table(engine, STREET, since, until).set_index("theme")
    held = raw["activities"][(raw["activities"]["starts_at"] >= since) & (raw["activities"]["starts_at"] < until)]
    expected: dict[str, int] = {}
    for title in held["title"]:
        for code in themes_of(title):
            expected[code] = expected.get(code, 0) + 1
    assert expected, "the demo's activities raise themes"
    for code, count in expected.items():
        if code in table.index:
            assert table.loc[code, "activities"] == count, code


def test_theme_by_community_and_month_add_up(engine, themed) -> None:
    from data_access import feedback

    since, until = PERIODS["120 days"]
    table = feedback.theme_table(engine, STREET, since, until).set_index("theme")
    by_community = feedback.theme_by_community(engine, STREET, since, until)
    assert by_community.groupby("theme")["texts"].sum().to_dict() == dict(table["texts"])
    by_month = feedback.theme_months(engine, STREET, since, until)
    assert by_month.groupby("theme")["texts"].sum().to_dict() == dict(table["texts"])
    mine = feedback.theme_by_community(engine, Scope.community("C03"), since, until)
    assert set(mine["community_id"]) == {"C03"}


def test_a_period_with_no_text_gives_empty_theme_tables(engine) -> None:
    """No report and no question in the period (a new street, an imported city with no 社区E家 rows):
    empty tables with their columns, so the page and the big screen say "nothing" instead of failing."""
    from data_access import feedback

    since, until = PERIODS["nothing"]
    table = feedback.theme_table(engine, STREET, since, until)
    assert table.empty
    assert {"theme", "texts", "issues", "consultations", "score"} <= set(table.columns)
    assert feedback.theme_by_community(engine, STREET, since, until).empty
    assert feedback.theme_months(engine, STREET, since, until).empty


def test_theme_samples_are_masked_and_staff_only(engine, raw) -> None:
    from data_access import feedback
    from fixtures.resident_text import PLANTED

    since, until = PERIODS["everything"]
    table = feedback.theme_table(engine, STREET, since, until)
    seen = []
    for code in table["theme"]:
        samples = feedback.theme_samples(engine, STREET, since, until, code, limit=200)
        seen += list(samples["text"])
    assert len(seen) > 500
    assert not [value for value in PLANTED for text in seen if value in text]
    assert any(marker in text for text in seen for marker in ("[电话]", "[地址]", "某某", "[证件号]", "[车牌]"))
    with pytest.raises(AccessDenied):
        feedback.theme_samples(engine, Scope.public_visitor(), since, until, table["theme"].iat[0])


# --- questions asked most ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "core"),
    [
        ("我刚退休，您好，想咨询社保断缴了能补吗？", "社保断缴了能补吗"),
        ("我一个人带孩子，问一下70岁以上老人高龄津贴怎么申请？需要带什么材料？", "70岁以上老人高龄津贴怎么申请"),
        ("你好，请问临时救助能申请吗？", "临时救助能申请吗"),
        ("小区能不能办个暑期托管班呢？", "小区能不能办个暑期托管班"),
        ("<b>x</b>请问电梯加装补贴有多少？", "电梯加装补贴有多少"),
        ("谢谢你们", ""),
        (None, ""),
    ],
)
def test_question_core(text, core) -> None:
    from data_access.faq import question_core

    assert question_core(text) == core


def test_frequent_questions_count_the_same_question_in_other_words(engine, raw) -> None:
    from data_access.faq import frequent_questions, question_core
    from data_access.masking import mask

    since, until = PERIODS["everything"]
    rows = raw["consultations"]
    rows = rows[(rows["asked_at"] >= since) & (rows["asked_at"] < until) & (rows["topic_code"] != "complaint_staff")]
    cores = rows["question"].map(question_core)
    expected = cores[cores != ""].value_counts()
    found = frequent_questions(engine, STREET, since, until, limit=10)
    assert len(found) == 10 and found["asked"].iat[0] == expected.iat[0] > 1
    for question, asked in zip(found["question"], found["asked"]):
        matching = [core for core, count in expected.items() if mask(core) == question]
        assert matching and expected[matching[0]] == asked
    assert list(found["asked"]) == sorted(found["asked"], reverse=True)
    with pytest.raises(AccessDenied):
        frequent_questions(engine, Scope.public_visitor(), since, until)


def test_a_pages_texts_are_read_once_and_a_shorter_period_is_cut_from_them(engine, monkeypatch) -> None:  # noqa: ANN001
    from data_access import feedback

    reads: list[tuple] = []
    real = feedback.read_texts

    def counted(*args):  # noqa: ANN002, ANN202
        reads.append(args[2:4])
        return real(*args)

    monkeypatch.setattr(feedback, "read_texts", counted)
    monkeypatch.setattr(feedback, "_held", {})
    since, until = datetime(2026, 10, 1), AT  # shorter than the theme table's window
    table = feedback.theme_table(engine, STREET, since, until)
    for code in table["theme"].head(3):
        feedback.theme_samples(engine, STREET, since, until, code)
    feedback.theme_by_community(engine, STREET, since, until)
    feedback.theme_months(engine, STREET, datetime(2025, 12, 1), until)
    assert reads == [(until - timedelta(days=feedback.TEXT_WINDOW_DAYS), until)]  # one read for all six
    cut = feedback._texts(engine, STREET, since, until, EVERYWHERE, with_writer=True)
    alone = real(engine, STREET, since, until, EVERYWHERE)
    assert len(alone) > 0
    key = ["source", "id"]
    assert cut.sort_values(key).reset_index(drop=True).equals(alone.sort_values(key).reset_index(drop=True))
    monkeypatch.setattr(feedback, "TEXTS_SECONDS", -1.0)  # kept too long: read again
    feedback.theme_by_community(engine, STREET, since, until)
    assert len(reads) == 2
    monkeypatch.setattr(feedback, "TEXTS_SECONDS", 60.0)
    feedback.theme_months(engine, STREET, datetime(2020, 1, 1), until)  # wider than the texts held
    assert reads[-1] == (datetime(2020, 1, 1), until)


def test_more_texts_than_are_read_at_once_are_said_and_give_no_trend(engine, monkeypatch) -> None:  # noqa: ANN001
    """A city's street has more reports in two weeks than the needs tab reads (MAX_TEXTS of each
    source): the figures then count the newest texts only, `counted_from` says from when, and no
    theme is called rising or steady, as the window before is not read."""
    from data_access import feedback

    since, until = PERIODS["120 days"]
    monkeypatch.setattr(feedback, "_held", {})
    assert feedback.counted_from(engine, STREET, since, until) is None  # the demo street: every text read
    whole = feedback.theme_table(engine, STREET, since, until)
    assert set(whole["rising"]) <= {True, False} and whole["rising"].any()

    monkeypatch.setattr(feedback, "MAX_TEXTS", 150)
    monkeypatch.setattr(feedback, "_held", {})
    texts = feedback.read_texts(engine, STREET, until - timedelta(days=feedback.TEXT_WINDOW_DAYS), until, EVERYWHERE)
    newest = [group["at"].sort_values().iloc[-150] for _, group in texts.groupby("source")]
    cut = feedback.counted_from(engine, STREET, since, until)
    assert cut == max(newest).to_pydatetime() and since < cut < until
    table = feedback.theme_table(engine, STREET, since, until).set_index("theme")
    counted = texts[texts["at"] >= pd.Timestamp(since)]
    expected = counted.assign(theme=[sorted(t) for t in counted["themes"]]).explode("theme").dropna(subset=["theme"])
    assert dict(table["texts"]) == expected.groupby("theme").size().to_dict()
    assert table["rising"].isna().all() and (table["growth"] == 0).all()
    assert feedback.counted_from(engine, STREET, cut + timedelta(days=1), until) is None  # a period after the cut is whole
