"""Plant Markdown, HTML, Streamlit directives and deck.gl expressions in every text a page can show.

Used by tests/test_planted_markup.py (every page under AppTest) and the browser test
tests/e2e/test_planted_browser.py (no request to the planted host, no planted link or image in the
page). Every name, title, address, note and label column of a copy of a database gets the payload
appended; some rows also get unknown codes made of it (codes are shown as themselves when the
catalogue does not know them) and names that start with deck.gl's ``@@`` prefix.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

HOST = "attacker.invalid"
PAYLOAD = (
    f' ![p](http://{HOST}/md.png) <img src="http://{HOST}/h.png"> <a href="http://{HOST}/a">a</a>'
    " **b** :red[r] $x$ {label} <b>B</b>"
)
COLUMNS = {
    "communities": ["name_zh", "name_en"],
    "grids": ["name"],
    "issue_categories": ["name_zh", "name_en", "department"],
    "special_categories": ["name_zh", "name_en"],
    "issues": ["title", "description"],
    "issue_events": ["note"],
    "activities": ["title"],
    "buildings": ["address"],
    "officers": ["name"],
    "places": ["name"],
    "residents": ["name", "phone"],
    "volunteers": ["display_name"],
    "welfare_alerts": ["outcome"],
    "welfare_visits": ["outcome"],
}


def plant(source: Path, target: Path) -> Path:
    """A copy of `source` with the payload in every shown text column."""
    shutil.copy(source, target)
    with sqlite3.connect(target) as conn:
        for table, columns in COLUMNS.items():
            for column in columns:
                conn.execute(f'UPDATE "{table}" SET "{column}" = coalesce("{column}", \'\') || ?', (PAYLOAD,))  # noqa: S608
        conn.execute("UPDATE issues SET is_public = 1 WHERE issue_id % 2 = 0")
        # Codes the catalogue does not know are shown as themselves.
        conn.execute("UPDATE issues SET category_code = ? WHERE issue_id % 7 = 0", ("x" + PAYLOAD,))
        conn.execute("UPDATE issues SET channel = ? WHERE issue_id % 11 = 0", ("x" + PAYLOAD,))
        conn.execute("UPDATE activities SET kind = ? WHERE activity_id % 5 = 0", ("x" + PAYLOAD,))
        # Strings deck.gl's JSON converter would read as code.
        conn.execute("UPDATE communities SET name_zh = '@@=1+1' || name_zh, name_en = '@@#GL.ONE' || name_en")
        conn.execute("UPDATE grids SET name = '@@=d.x' || name")
    return target
