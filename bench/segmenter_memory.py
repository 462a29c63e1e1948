"""The Chinese segmenter's dictionary: jieba's own dict against the trie (data_access/jieba_trie.py),
side by side in fresh interpreters, in turn.

Each round starts one interpreter per kind, in alternating order. Each imports the data layer, loads
the dictionary (from its cache file: a first round that nobody counts writes the caches), cuts the
same texts (runs of dictionary words end to end, seeded, made once by this script and read from a
file, so no worker held the word list: its freed memory would have been reused by the dictionary)
and reports: the RSS the dictionary added (after a full collection), the seconds the load took and
the seconds the cuts took. Printed: each
round, then per kind the median and the spread, and the trie's over jieba's per round.

    .venv/bin/python bench/segmenter_memory.py [--rounds 5] [--texts 20000]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
KINDS = ("jieba", "trie")


def _rss_mib() -> float:
    return psutil.Process().memory_info().rss / 2**20


def make_texts(count: int, path: Path) -> None:
    """`count` runs of 1-14 dictionary words, one per line (seeded)."""
    from data_access import jieba_trie

    with jieba_trie.dictionary_file().open(encoding="utf-8") as source:
        words = [line.split(" ")[0] for line in source]
    rng = random.Random(11)
    texts = ("".join(rng.choice(words) for _ in range(rng.randint(1, 14))) for _ in range(count))
    path.write_text("\n".join(texts) + "\n", encoding="utf-8")


def worker(kind: str, texts_file: Path) -> dict:
    """One kind in this interpreter: what loading its dictionary and cutting the texts cost."""
    import logging

    import jieba

    from data_access import jieba_trie, segment  # noqa: F401 - the data layer a process has loaded

    jieba.setLogLevel(logging.WARNING)
    texts = texts_file.read_text(encoding="utf-8").splitlines()
    gc.collect()
    before = _rss_mib()
    started = time.perf_counter()
    tokenizer = jieba.Tokenizer() if kind == "jieba" else jieba_trie.TrieTokenizer()
    tokenizer.initialize()
    loaded = time.perf_counter() - started
    gc.collect()
    added = _rss_mib() - before
    started = time.perf_counter()
    cut = sum(len(tokenizer.lcut(text, HMM=False)) for text in texts)
    return {"kind": kind, "rss_mib": added, "load_s": loaded, "cut_s": time.perf_counter() - started, "words": cut}


def _run(kind: str, texts_file: Path) -> dict:
    found = subprocess.run(  # noqa: S603 - this file, fixed arguments
        [sys.executable, __file__, "--worker", kind, "--texts-file", str(texts_file)],
        cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True, check=True,
    )
    return json.loads(found.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--texts", type=int, default=20_000)
    parser.add_argument("--worker", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--texts-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.texts_file)))
        return
    with tempfile.TemporaryDirectory() as folder:
        texts_file = Path(folder) / "texts.txt"
        make_texts(args.texts, texts_file)
        results = _rounds(args.rounds, texts_file)
    report(results)


def _rounds(rounds: int, texts_file: Path) -> dict[str, list[dict]]:
    for kind in KINDS:  # writes both caches; not counted
        _run(kind, texts_file)
    results: dict[str, list[dict]] = {kind: [] for kind in KINDS}
    for number in range(rounds):
        order = KINDS if number % 2 == 0 else KINDS[::-1]
        for kind in order:
            results[kind].append(_run(kind, texts_file))
        row = {kind: results[kind][-1] for kind in KINDS}
        print(f"round {number + 1} ({' then '.join(order)}): " + "; ".join(
            f"{kind} +{row[kind]['rss_mib']:.1f} MiB, load {row[kind]['load_s']:.3f} s, "
            f"cut {row[kind]['cut_s']:.2f} s" for kind in KINDS), flush=True)
    return results


def report(results: dict[str, list[dict]]) -> None:
    if results["jieba"][0]["words"] != results["trie"][0]["words"]:
        print("the two cut the texts into different numbers of words", flush=True)
    for key, unit in (("rss_mib", "MiB"), ("load_s", "s"), ("cut_s", "s")):
        cells = []
        for kind in KINDS:
            values = [result[key] for result in results[kind]]
            cells.append(f"{kind} median {statistics.median(values):.3f} {unit} ({min(values):.3f}-{max(values):.3f})")
        ratios = [trie[key] / own[key] for own, trie in zip(results["jieba"], results["trie"], strict=True)]
        print(f"{key}: " + "; ".join(cells) + f"; trie / jieba per round {min(ratios):.2f}-{max(ratios):.2f}")


if __name__ == "__main__":
    main()
