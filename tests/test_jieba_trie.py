"""jieba's dictionary in a trie (data_access/jieba_trie.py) cuts text exactly as jieba's own dict does."""

from __future__ import annotations

import logging
import os
import random
import stat
from pathlib import Path

import jieba
import pytest

from data_access import jieba_trie, segment
from data_access.jieba_trie import Frequencies, TrieTokenizer

# Words added on top, as segment.py adds its lexicon and place names: some the dictionary has
# (their frequency changes), some it has not, one with frequency 0 (never cut out whole again).
ADDED = [("虎头岩社区", 1000), ("车位共享", 2000), ("石油路", 0), ("的路", 5000), ("菜市场门口", 30), ("Ｂ栋", 7)]
SUGGESTED = ["加装电梯", "路灯不亮", "助餐点", "大坪正街"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("trie")


@pytest.fixture(scope="module")
def pair(folder: Path) -> tuple[jieba.Tokenizer, TrieTokenizer]:
    """jieba's own tokenizer and the trie's, with the same words added the same way."""
    jieba.setLogLevel(logging.WARNING)
    own, trie = jieba.Tokenizer(), TrieTokenizer(folder)
    own.initialize()
    trie.initialize()
    for tokenizer in (own, trie):
        for word, freq in ADDED:
            tokenizer.add_word(word, freq)
        for word in SUGGESTED:
            tokenizer.add_word(word, tokenizer.suggest_freq(word, False) * 10, "n")
    return own, trie


def _dictionary_words() -> list[str]:
    with jieba_trie.dictionary_file().open(encoding="utf-8") as source:
        return [line.split(" ")[0] for line in source]


def _texts(count: int, seed: int) -> list[str]:
    """Runs of dictionary words and added words end to end (where a cut has the most choices),
    with punctuation, Latin letters and digits between some, and a few plain sentences."""
    rng = random.Random(seed)
    words = _dictionary_words() + [word for word, _ in ADDED] + SUGGESTED + ["，", "abc", "12号", "Wi-Fi", " "]
    texts = ["".join(rng.choice(words) for _ in range(rng.randint(1, 14))) for _ in range(count)]
    return texts + [
        "石油路菜市场门口的路灯不亮，老人晚上摔倒了",
        "虎头岩社区加装电梯车位共享，助餐点在大坪正街Ｂ栋",
        "<b>x</b> 楼道堆放杂物 3楼 A座 小区停车位不够",
        "",
    ]


def test_cuts_are_jiebas_own(pair) -> None:
    own, trie = pair
    assert trie.total == own.total
    for text in _texts(6000, seed=7):
        assert trie.lcut(text, HMM=False) == own.lcut(text, HMM=False), text
        assert trie.lcut(text) == own.lcut(text), text
        assert trie.lcut(text, cut_all=True) == own.lcut(text, cut_all=True), text
        assert trie.get_DAG(text) == own.get_DAG(text), text


def test_frequencies_answer_as_jiebas_dict(pair) -> None:
    own, trie = pair
    rng = random.Random(3)
    words = rng.sample(_dictionary_words(), 3000)
    asked = words + [word[:-1] for word in words if len(word) > 2]  # prefixes: 0 where not words
    asked += [word for word, _ in ADDED] + SUGGESTED + ["虎头", "虎头岩社", "菜市场门", "不是词语啊", "x", "Ｂ"]
    for word in asked:
        assert (word in trie.FREQ) == (word in own.FREQ), word
        assert trie.FREQ.get(word, "absent") == own.FREQ.get(word, "absent"), word
    assert trie.FREQ["虎头岩社"] == 0
    with pytest.raises(KeyError):
        trie.FREQ["不是词语啊"]
    assert len(trie.FREQ.added) < 100  # only what was added, not the dictionary


SENTENCE = "石油路菜市场门口的路灯不亮"


@pytest.fixture(scope="module")
def plain_cut() -> list[str]:
    """How jieba's own dictionary, nothing added, cuts SENTENCE."""
    own = jieba.Tokenizer()
    own.initialize()
    return own.lcut(SENTENCE, HMM=False)


def test_the_trie_is_kept_and_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, plain_cut: list[str]
) -> None:
    assert TrieTokenizer(tmp_path).lcut(SENTENCE, HMM=False) == plain_cut
    path = jieba_trie.cache_path(tmp_path)
    assert path.is_file()

    def no_build():
        raise AssertionError("built again although the cache was there")

    monkeypatch.setattr(jieba_trie, "build", no_build)
    assert TrieTokenizer(tmp_path).lcut(SENTENCE, HMM=False) == plain_cut
    assert [found.name for found in tmp_path.iterdir()] == [path.name]  # no temporary file left


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage", "empty"])
def test_a_damaged_cache_is_built_again(
    tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture, plain_cut: list[str]
) -> None:
    TrieTokenizer(tmp_path).initialize()
    path = jieba_trie.cache_path(tmp_path)
    whole = path.read_bytes()
    damaged = {
        "flip": whole[:-100] + bytes([whole[-100] ^ 0xFF]) + whole[-99:],
        "truncate": whole[: len(whole) // 2],
        "garbage": b"\x00" * 64,
        "empty": b"",
    }[damage]
    path.write_bytes(damaged)
    with caplog.at_level(logging.WARNING, logger="data_access.jieba_trie"):
        assert TrieTokenizer(tmp_path).lcut(SENTENCE, HMM=False) == plain_cut
    assert "could not be read" in caplog.text
    assert path.read_bytes() == whole  # written again, whole


def test_a_folder_that_cannot_be_written_costs_only_the_cache(tmp_path: Path, caplog, plain_cut) -> None:
    missing = tmp_path / "not-there"
    with caplog.at_level(logging.WARNING, logger="data_access.jieba_trie"):
        assert TrieTokenizer(missing).lcut(SENTENCE, HMM=False) == plain_cut
    assert "could not be kept" in caplog.text
    assert not missing.exists()


def test_the_app_segments_with_the_trie() -> None:
    assert isinstance(segment.tokenizer(), TrieTokenizer)
    assert isinstance(segment.tokenizer().FREQ, Frequencies)
    assert segment.terms("石油路菜市场门口的路灯不亮，老人晚上摔倒了") == ["路灯不亮", "老人", "摔倒"]


def test_the_cache_lives_in_a_folder_of_the_users_own(tmp_path: Path, monkeypatch, plain_cut) -> None:
    monkeypatch.setattr(jieba_trie.tempfile, "gettempdir", lambda: str(tmp_path))
    folder = jieba_trie.private_folder()
    assert folder == tmp_path / f"syl-jieba-{os.getuid()}"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert TrieTokenizer().lcut(SENTENCE, HMM=False) == plain_cut
    assert jieba_trie.cache_path(folder).is_file()


@pytest.mark.parametrize("how", ["others-may-write", "someone-elses"])
def test_a_folder_others_could_write_in_is_never_read(tmp_path: Path, monkeypatch, caplog, plain_cut, how) -> None:
    monkeypatch.setattr(jieba_trie.tempfile, "gettempdir", lambda: str(tmp_path))
    folder = tmp_path / f"syl-jieba-{os.getuid()}"
    folder.mkdir()
    if how == "others-may-write":
        folder.chmod(0o777)
    elif os.getuid() == 0:
        os.chown(folder, 65534, 65534)
    else:
        pytest.skip("only root can give a folder to another user")
    planted = jieba_trie.cache_path(folder)
    planted.write_bytes(b"planted")
    with caplog.at_level(logging.WARNING, logger="data_access.jieba_trie"):
        assert jieba_trie.private_folder() is None
        assert TrieTokenizer().lcut(SENTENCE, HMM=False) == plain_cut  # built in memory
    assert "not this user's alone" in caplog.text
    assert planted.read_bytes() == b"planted"  # neither read nor replaced
