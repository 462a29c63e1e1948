"""Entry point (foundation stage): the street's headline figures on one page."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from data_access.contract import ensure_usable  # noqa: E402
from data_access.engine import make_readonly_engine, resolve_database_url  # noqa: E402
from data_access.errors import DataAccessError  # noqa: E402
from data_access.filters import IssueFilters  # noqa: E402
from data_access.issues import resolution_figures  # noqa: E402
from data_access.scope import Scope  # noqa: E402

st.set_page_config(page_title="石油路街道 智慧社区", layout="wide")
st.title("石油路街道 智慧社区总览")
try:
    engine = make_readonly_engine(resolve_database_url())
    ensure_usable(engine)
    row = resolution_figures(engine, Scope.street(), IssueFilters()).iloc[0]
except DataAccessError as exc:
    st.error(str(exc))
    st.stop()
cols = st.columns(4)
cols[0].metric("受理问题", f"{row['received']:,}")
cols[1].metric("办结率", f"{row['resolution_rate']:.1%}")
cols[2].metric("办理时长中位数(小时)", f"{row['median_hours']:.1f}")
cols[3].metric("按时办结率", f"{row['on_time_share']:.1%}")
