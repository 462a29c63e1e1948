"""Themes of many texts at once (data_access/text_themes.py): the same themes as one text at a time,
found once and remembered on disk across processes, and a damaged or missing file costs nothing
but time. No read database."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from data_access import segment, text_themes, themes
from fixtures.resident_text import CONSULTATION_TOPICS, ISSUE_CATEGORIES, consultation_texts, issue_texts
from tests.test_text_themes import COMMUNITIES, GRIDS, HOSTILE


@pytest.fixture(scope="module", autouse=True)
def street_places() -> None:
    segment.add_place_names(COMMUNITIES + GRIDS)


@pytest.fixture(scope="module")
def texts() -> list[object]:
    rng = np.random.default_rng(7)
    codes = [ISSUE_CATEGORIES[i % len(ISSUE_CATEGORIES)] for i in range(600)]
    places = [GRIDS[i % len(GRIDS)] for i in range(600)]
    titles, descriptions = issue_texts(codes, places, rng)
    questions = consultation_texts([CONSULTATION_TOPICS[i % len(CONSULTATION_TOPICS)] for i in range(300)], rng)
    reports = [f"{title} {description}" for title, description in zip(titles, descriptions, strict=True)]
    return [*reports, *questions, *HOSTILE, "停车场收费", "养老保险怎么交", "小区停车难，老人没地方坐"]


def whole_text_themes(text: object) -> frozenset[str]:
    """The reference: every word of the whole text segmented, then looked up."""
    index = themes._themes_of_word()
    found: set[str] = set()
    for word in segment.terms(text):
        found |= index.get(word, frozenset())
    return frozenset(found)


def test_segmenting_only_runs_with_a_theme_word_finds_the_same_themes(texts: list[object]) -> None:
    expected = [whole_text_themes(text) for text in texts]
    assert [themes.themes_of(text) for text in texts] == expected
    assert sum(1 for found in expected if found) > 500  # the demo text raises themes: the check means something
    assert themes.themes_of("停车场收费") == frozenset()  # a spot, not parking trouble: word for word still


def test_many_texts_at_once_match_one_at_a_time(tmp_path: Path, texts: list[object]) -> None:
    store = text_themes.TextThemes(tmp_path / text_themes.FILE_NAME)
    assert store.of(texts) == [themes.themes_of(text) for text in texts]
    assert store.of([]) == []


def test_a_new_process_reads_the_themes_from_disk_without_segmenting(
    tmp_path: Path, texts: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / text_themes.FILE_NAME
    first = text_themes.TextThemes(path).of(texts)
    calls: list[object] = []
    monkeypatch.setattr(text_themes, "themes_of", lambda text: calls.append(text) or frozenset())
    again = text_themes.TextThemes(path).of(texts)  # a new instance: an empty memory, as after a restart
    assert again == first
    assert calls == []
    text_themes.TextThemes(path).of([*texts, "新的一条：楼道堆放杂物"])
    assert calls == ["新的一条：楼道堆放杂物"]  # only the text never seen is segmented


def test_what_the_segmenter_knows_is_part_of_the_key(
    tmp_path: Path, texts: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / text_themes.FILE_NAME
    text_themes.TextThemes(path).of(texts[:50])
    monkeypatch.setattr(text_themes, "fingerprint", lambda: b"another lexicon!")
    calls: list[object] = []
    real = themes.themes_of
    monkeypatch.setattr(text_themes, "themes_of", lambda text: calls.append(text) or real(text))
    assert text_themes.TextThemes(path).of(texts[:50]) == [real(text) for text in texts[:50]]
    assert len(calls) == len(set(map(str, texts[:50])))


def test_a_damaged_or_missing_file_costs_time_not_themes(tmp_path: Path, texts: list[object]) -> None:
    expected = [themes.themes_of(text) for text in texts[:100]]
    path = tmp_path / text_themes.FILE_NAME
    path.write_bytes(b"this is not a database at all" * 100)
    assert text_themes.TextThemes(path).of(texts[:100]) == expected
    assert text_themes.TextThemes(path).of(texts[:100]) == expected  # the file was made anew and works
    gone = tmp_path / "no-such-folder" / text_themes.FILE_NAME
    assert text_themes.TextThemes(gone).of(texts[:100]) == expected
    assert not gone.parent.exists()  # a vanished folder is not made again here
    assert text_themes.TextThemes(None).of(texts[:100]) == expected


def test_processes_share_one_file_from_many_threads(tmp_path: Path, texts: list[object]) -> None:
    path = tmp_path / text_themes.FILE_NAME
    expected = [themes.themes_of(text) for text in texts]
    results: dict[int, list[frozenset[str]]] = {}
    errors: list[BaseException] = []

    def visit(number: int) -> None:
        try:
            share = texts[number * 100 :] + texts[: number * 100]
            found = text_themes.TextThemes(path).of(share)  # one "process" each
            results[number] = found[-number * 100 :] + found[: -number * 100] if number else found
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=visit, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert all(found == expected for found in results.values())


def test_the_app_engine_remembers_in_its_copy_folder(tmp_path: Path) -> None:
    class Copy:
        folder = tmp_path

    class Routed:
        copy = Copy()

    store = text_themes.for_engine(Routed())
    assert store.path == tmp_path / text_themes.FILE_NAME
    assert text_themes.for_engine(Routed()) is store
    assert text_themes.for_engine(object()).path is None
