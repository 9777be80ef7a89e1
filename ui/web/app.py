"""The telerubric page for engineers (`telerubric ui`, or `streamlit run ui/web/app.py`).

Settings come from the environment and `telerubric.toml` like every other entry point (`TELERUBRIC_DATA_DIR`,
`TELERUBRIC_MILVUS_URI` for a `telerubric kb serve` or a Milvus server, `TELERUBRIC_UI__READ_ONLY`, …). The page holds
no business logic: each view calls the library (`kb`, `ingest`, `retrieval`, `judge`).
"""

from __future__ import annotations

import streamlit as st

from kb import TelerubricError
from ui.web import access, add, browse, navigation, queries, resources, rubric, search, try_it

st.set_page_config(page_title="telerubric", page_icon="📡", layout="wide")


def main() -> None:
    cfg = resources.page_settings()
    navigation.keep_widget_state()
    navigation.take_url_parameters()
    view = navigation.sidebar()
    who = access.sidebar(cfg)
    try:
        kb = resources.knowledge_base(cfg)
    except TelerubricError as exc:  # e.g. the embedded KB is held by another process
        st.error(f"Cannot open the knowledge base: {exc}")
        st.stop()
    if not cfg.ui.read_only and "usage_snapshot_checked" not in st.session_state:  # the usage-over-time charts
        st.session_state["usage_snapshot_checked"] = True
        kb.snapshot_usage(min_interval_s=cfg.ui.usage_snapshot_every_s)
    with st.sidebar:
        where = cfg.data_dir if cfg.embedded_milvus else cfg.resolved_milvus_uri
        st.caption(f"KB version {kb.version()} · {where}")
    if view == "Browse":
        browse.render(kb, cfg.ui.page_size)
    elif view == "Queries":
        queries.render(kb, cfg.ui.page_size)
    elif view == "Rubric":
        rubric.render(kb, cfg, who)
    elif view == "Search":
        search.render(cfg)
    elif view == "Try it":
        try_it.render(cfg)
    elif view == "Add":
        add.render(kb, who)


main()
