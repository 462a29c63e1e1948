"""Documentation that must not drift from the code."""

from __future__ import annotations

from pathlib import Path

from data_access.schema import metadata

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_schema_doc_lists_every_table_and_column() -> None:
    text = (DOCS / "schema.md").read_text(encoding="utf-8")
    for name, table in metadata.tables.items():
        row = next((line for line in text.splitlines() if line.startswith(f"| `{name}` |")), None)
        assert row is not None, f"docs/schema.md lacks table {name}"
        for column in table.columns:
            assert column.name in row, f"docs/schema.md lacks {name}.{column.name}"


def test_metrics_doc_defines_every_headline_figure() -> None:
    text = (DOCS / "metrics.md").read_text(encoding="utf-8")
    for term in ("Resolution rate", "Time to resolve", "On time", "Backlog", "Patrol compliance",
                 "Overdue visit", "Satisfaction", "Reopen rate", "impossible"):
        assert term in text, term


def test_docs_stand_alone() -> None:
    """The project's docs carry what they need: no pointer to design notes outside the repository."""
    root = DOCS.parent
    for path in [root / "README.md", *DOCS.glob("*.md")]:
        text = path.read_text(encoding="utf-8")
        for outside in ("DESIGN.md", "DESIGN section", "STYLE.md", "../shared/DESIGN", "DEVELOPERS.md"):
            assert outside not in text, f"{path.name} cites {outside}"


def test_readme_lists_every_test_file() -> None:
    import re

    root = DOCS.parent
    listed = set(re.findall(r"^\| `(tests/(?:e2e/)?test_[a-z0-9_]+\.py)` \|", (root / "README.md").read_text(encoding="utf-8"), re.M))
    present = {str(p.relative_to(root)) for p in [*root.glob("tests/test_*.py"), *root.glob("tests/e2e/test_*.py")]}
    assert listed == present, {"not listed": present - listed, "listed but gone": listed - present}
