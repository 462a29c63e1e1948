"""One catalogue per language, complete; every setting documented; numbers and times formatted per language."""

from __future__ import annotations

import re
import string
from datetime import datetime
from pathlib import Path

import pytest

from app import formatting
from app.i18n import LANGUAGES, catalogue, translate
from app.settings import SETTINGS

ROOT = Path(__file__).resolve().parent.parent
KEY_LITERAL = re.compile(r"""\bt\(\s*["']([a-z_]+(?:\.[a-z0-9_]+)+)["']""")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_catalogues_hold_the_same_keys_and_placeholders() -> None:
    zh, en = catalogue("zh"), catalogue("en")
    assert set(zh) == set(en)
    for key in zh:
        assert _placeholders(zh[key]) == _placeholders(en[key]), key


def test_every_key_the_code_asks_for_exists() -> None:
    used = set()
    for path in [*ROOT.glob("app/*.py"), *ROOT.glob("pages/*.py")]:
        used |= set(KEY_LITERAL.findall(path.read_text(encoding="utf-8")))
    assert used, "the scan found no keys: the pattern is wrong"
    missing = used - set(catalogue("zh"))
    assert not missing, missing


def test_page_titles_and_roles_are_translated() -> None:
    from app import registry
    from app.roles import PUBLIC, ROLES

    for lang in LANGUAGES:
        for spec in registry.PAGES:
            assert translate(lang, spec.title_key) != spec.title_key
            assert translate(lang, spec.title_key + "_about") != spec.title_key + "_about"
        for role in (PUBLIC, *ROLES):
            assert translate(lang, "role." + role) != "role." + role


def test_missing_key_shows_itself_and_bad_params_do_not_crash() -> None:
    assert translate("zh", "no.such.key") == "no.such.key"
    assert translate("en", "login.wait") == catalogue("en")["login.wait"]  # placeholder left unfilled
    assert translate("fr", "page.overview") == "总览"  # unknown language falls back to Chinese


def test_every_setting_is_documented() -> None:
    doc = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    for setting in SETTINGS:
        assert f"`{setting.name}`" in doc, setting.name
        assert f"`{setting.metadata['env']}`" in doc, setting.metadata["env"]


@pytest.mark.parametrize(("lang", "expected"), [("zh", "2026年03月01日 08:30"), ("en", "01 Mar 2026 08:30")])
def test_times_are_shown_in_shanghai(lang, expected) -> None:
    assert formatting.local_datetime(datetime(2026, 3, 1, 0, 30), lang) == expected


def test_number_formats() -> None:
    assert formatting.number(1234567, "zh") == "123.5万"
    assert formatting.number(1234567, "en") == "1,234,567"
    assert formatting.share(0.9234) == "92.3%"
    assert formatting.number(float("nan")) == formatting.MISSING
    assert formatting.hours(0.5, "en") == "30 min" and formatting.hours(72, "zh") == "3.0 天"
