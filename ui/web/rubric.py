"""One rubric: its text and fields, provenance, usage over time and verdicts, whether pruning would drop it now and
why (retrieval's own `prune`), its stored analysis on preference pairs (`telerubric analyze`), the queries that link
it, its history with diffs, and the edit form."""

from __future__ import annotations

import streamlit as st

from judge import RubricAnalysis, stored_analysis
from kb import KnowledgeBase, RubricUsage, RubricView, Settings
from retrieval import prune
from ui.web import charts, edit
from ui.web.access import Access
from ui.web.navigation import RUBRIC_ID, open_query


def _fields(view: RubricView) -> None:
    st.markdown(f"#### {view.id}")
    with st.container(border=True):
        st.markdown(view.text)
    cols = st.columns(5)
    cols[0].metric("Status", view.status)
    cols[1].metric("Kind", view.kind)
    cols[2].metric("Importance", view.importance)
    cols[3].metric("Weight", f"{view.weight:g}")
    cols[4].metric("Version", view.version)
    rows = [
        ("theme", view.theme or "—"),
        ("tips", "; ".join(view.tips) or "—"),
        ("tags", ", ".join(view.tags) or "—"),
        ("condition", view.condition or "always applies"),
        ("machine check", view.check.model_dump_json() if view.check else "—"),
        ("source", view.source),
        ("standalone", "yes" if view.standalone else "no (only through its queries)"),
    ]
    st.table({"field": [r[0] for r in rows], "value": [r[1] for r in rows]})


def _provenance(view: RubricView) -> None:
    st.markdown("**Provenance**")
    if not view.provenance:
        st.caption("No provenance recorded.")
        return
    labels = {"file": "file", "line": "line", "dataset_id": "dataset id", "generator": "generator model",
              "prompt": "prompt version", "section": "policy section"}  # fmt: skip
    st.table({"": [labels.get(k, k) for k in view.provenance], "value": [str(v) for v in view.provenance.values()]})


def _pruning(kb: KnowledgeBase, cfg: Settings, view: RubricView, usage: RubricUsage) -> None:
    st.markdown("**Pruning now**")
    evidence = kb.evidence_of([view.id])
    _, pruned = prune([view], {view.id: usage}, cfg.pruning, evidence)
    p = cfg.pruning
    if view.status == "retired":
        st.info("Retired: retrieval never returns it, so it is neither used nor pruned.")
    elif pruned:
        why = pruned[0]
        st.warning(f"Pruning would drop it: **{why.reason}** (it crossed {why.threshold:g}).")
    elif view.check is not None and p.exempt_checked:
        st.success("Kept: it carries a machine check, which pruning never drops (pruning.exempt_checked).")
    else:
        st.success("Kept: no pruning rule fires on its current counts.")
    rate = "—" if usage.retrieval_rate is None else f"{usage.retrieval_rate:.2%}"
    met = "—" if usage.met_rate is None else f"{usage.met_rate:.2%}"
    found = evidence.get(view.id)
    precision = "not analysed" if found is None else f"{_share(found.precision)} of {found.n_decided} decided pairs"
    st.table(
        {
            "rule": ["warm-up (retrievals before any rule)", "hit rate (too rare / too common)",
                     "met rate (never / always met)", "analysed precision (against the label)"],
            "this rubric": [f"{usage.retrieved} retrieved", rate, f"{met} of {usage.verdicts} verdicts", precision],
            "setting": [f"{p.warmup_uses}", f"{p.min_retrieval_rate:g} – {p.max_retrieval_rate:g}",
                        f"{p.min_met_rate:g} – {p.max_met_rate:g} after {p.min_verdicts} verdicts",
                        f"at least {p.min_precision:g} after {p.min_decided} decided pairs"],
        }
    )  # fmt: skip


def _usage(kb: KnowledgeBase, view: RubricView, usage: RubricUsage) -> None:
    st.markdown("**Usage**")
    cols = st.columns(5)
    for col, (label, value) in zip(
        cols,
        [("retrieved", usage.retrieved), ("used", usage.used), ("met", usage.met), ("not met", usage.not_met),
         ("not applicable", usage.not_applicable)],
        strict=True,
    ):  # fmt: skip
        col.metric(label, value)
    series = kb.usage_series(view.id)
    if not series:
        st.caption("Never retrieved or judged yet: nothing to plot.")
        return
    left, right = st.columns(2)
    with left:
        fig = charts.usage_over_time(series)
        st.pyplot(fig, clear_figure=True)
        charts.close(fig)
        st.caption(f"{len(series) - 1} snapshot(s), then the live counters")
    with right:
        fig = charts.verdict_counts(usage)
        st.pyplot(fig, clear_figure=True)
        charts.close(fig)


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _needs_review(found: RubricAnalysis) -> bool:
    """The page's hint: removing it would raise pair accuracy, or it sides against the label more often than not."""
    hurts = found.contribution is not None and found.contribution < 0
    return hurts or (found.precision is not None and found.precision < 0.5)


def _analysis_source(found: RubricAnalysis) -> str:
    pairs = f" on {found.pairs_source}" if found.pairs_source else ""
    when = f", recorded {found.recorded_at}" if found.recorded_at else ""
    where = f" (`{found.analysis_path}`)" if found.analysis_path else ""
    return f"{pairs}{when}{where}" or " (source unknown)"


def _analysis(kb: KnowledgeBase, view: RubricView) -> None:
    st.markdown("**Analysis on preference pairs**")
    found = stored_analysis(kb, view.id)
    if found is None:
        st.info("Not analysed yet — run `telerubric analyze PAIRS --out DIR`.")
        return
    contribution = "—" if found.contribution is None else f"{found.contribution:+.1%}"
    cols = st.columns(4)
    cols[0].metric("coverage", _share(found.coverage), help="Share of the judged labelled pairs it decides.")
    cols[1].metric("precision", _share(found.precision), help="When it decides, the share agreeing with the label.")
    cols[2].metric("contribution", contribution, help="Pair-accuracy drop when it is removed (negative: it hurts).")
    cols[3].metric("pairs present", found.n_pairs_present)
    st.caption(f"decided {found.n_decided} pair(s), agreed on {found.n_agree} · analysis{_analysis_source(found)}")
    if _needs_review(found):
        st.warning("On these pairs its contribution is below 0 or its precision below 50%: review or retire it.")


def _queries(kb: KnowledgeBase, view: RubricView) -> None:
    linking = kb.queries_linking(view.id)
    st.markdown(f"**Queries linking it** ({len(linking)}{'+' if len(linking) >= 100 else ''})")
    if not linking:
        st.caption("None: it is retrieved on its own (standalone).")
        return
    st.dataframe([{"id": q.id, "text": q.text, "source": q.source} for q in linking], hide_index=True, width="stretch")
    pick = st.selectbox("Query", [q.id for q in linking], key="r_query_pick")
    st.button("Show query", key="r_open_query", on_click=open_query, args=(pick,))


def _history(kb: KnowledgeBase, view: RubricView) -> None:
    history = kb.rubric_history(view.id)
    st.caption(f"{len(history)} revision(s), newest first. Nothing is overwritten without one.")
    for h in reversed(history):
        title = f"v{h.version} · {h.action} · {h.changed_by} · {h.changed_at:%Y-%m-%d %H:%M} UTC"
        with st.expander(title + (f" · {h.reason}" if h.reason else ""), expanded=h is history[-1]):
            changes = h.changes
            if changes:
                st.table({"field": [c.field for c in changes], "before": [str(c.before) for c in changes],
                          "after": [str(c.after) for c in changes]})  # fmt: skip
            st.code(h.diff() or "(no difference)", language="diff")


def render(kb: KnowledgeBase, cfg: Settings, who: Access) -> None:
    st.header("Rubric")
    rubric_id = st.text_input("Rubric id", key=RUBRIC_ID).strip()
    if not rubric_id:
        st.info("Open a rubric from Browse, Queries or Search, or type its id.")
        return
    view = kb.rubrics([rubric_id]).get(rubric_id)
    if view is None:
        st.warning(f"No rubric has id {rubric_id!r}.")
        return
    usage = kb.usage_of([view.id]).get(view.id) or RubricUsage(rubric_id=view.id)
    overview, history, editing = st.tabs(["Overview", "History", "Edit"])
    with overview:
        _fields(view)
        left, right = st.columns(2)
        with left:
            _provenance(view)
        with right:
            _pruning(kb, cfg, view, usage)
        _usage(kb, view, usage)
        _analysis(kb, view)
        _queries(kb, view)
    with history:
        _history(kb, view)
    with editing:
        edit.render(kb, cfg, view, who)
