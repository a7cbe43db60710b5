"""Secret Latency Observatory dashboard: `streamlit run dashboard/streamlit_app.py` (or `make dashboard`).

Page config, the shared sidebar filters and `st.navigation` over `app_pages/`. Pages only compose; loading,
statistics and figures live in `data`, `stats` and `charts`.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run` puts only this folder on the path
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboard import ui  # noqa: E402

st.set_page_config(page_title="Secret Latency Observatory", page_icon=":material/timer:", layout="wide")

PAGES = [
    st.Page("app_pages/overview.py", title="Overview", icon=":material/monitor_heart:", default=True),
    st.Page("app_pages/trends.py", title="Trends", icon=":material/show_chart:"),
    st.Page("app_pages/memory_tiers.py", title="Memory tiers", icon=":material/memory:"),
    st.Page("app_pages/regions.py", title="Regions", icon=":material/public:"),
    st.Page("app_pages/distributions.py", title="Distributions", icon=":material/bar_chart:"),
    st.Page("app_pages/runtimes_tracing.py", title="Runtimes & tracing", icon=":material/compare_arrows:"),
    st.Page("app_pages/reference.py", title="Reference", icon=":material/menu_book:"),
    st.Page("app_pages/runs.py", title="Runs", icon=":material/table_rows:"),
]

page = st.navigation(PAGES)
st.sidebar.title("Secret Latency Observatory")
if ui.prepare() is None:
    st.stop()
page.run()
