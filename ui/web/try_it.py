"""Try it: a question (and optionally a response or a τ² trajectory) through the reward's path — the neighbours,
the synthesised rubric set, what pruning removed, and the `RewardModel`'s per-criterion verdicts and score. A failing
LLM shows as the error value the reward returns, never as a number."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import streamlit as st

from judge import RewardResult
from kb import LLMClient, Settings
from retrieval import Neighbours, RubricSet, build_rubric_set
from ui.web import resources
from ui.web.search import why

RESULT = "try_result"


@dataclass
class Tried:
    question: str
    neighbours: Neighbours
    rubric_set: RubricSet
    reward: RewardResult | None  # None: nothing to score (no response, no trajectory)


def run(cfg: Settings, question: str, response: str | None, trajectory: Any, task_id: str | None) -> Tried:
    """Retrieve, synthesise, and score when there is something to score (the library calls a reward makes)."""
    kb = resources.knowledge_base(cfg)
    neighbours = resources.retriever(cfg).retrieve(question)
    rubric_set = build_rubric_set(kb, LLMClient.from_settings(cfg), question, neighbours=neighbours, record_usage=False)
    reward = None
    if response or trajectory is not None:
        reward = resources.reward_model(cfg).score(question, response, trajectory=trajectory, task_id=task_id)
    return Tried(question=question, neighbours=neighbours, rubric_set=rubric_set, reward=reward)


def _trajectory() -> tuple[Any, str | None]:
    upload = st.session_state.get("try_trajectory")
    if upload is None:
        return None, None
    try:
        return json.loads(upload.getvalue()), None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return None, f"{upload.name}: not JSON ({exc})"


def _neighbours(n: Neighbours) -> None:
    st.subheader("Neighbours")
    st.caption(f"reranker {n.reranker} · KB version {n.kb_version}" + (f" · {n.rerank_fallback}" if n.rerank_fallback
                                                                        else ""))  # fmt: skip
    if n.queries:
        st.markdown("**Similar queries** (their linked rubrics are candidates)")
        st.dataframe(
            [{"id": q.query.id, "text": q.query.text, "score": round(q.score, 4),
              "cosine": None if q.similarity is None else round(q.similarity, 3),
              "why": why(q.dense_rank, q.bm25_rank, q.similarity), "linked rubrics": len(q.rubrics)}
             for q in n.queries],
            hide_index=True, width="stretch",
        )  # fmt: skip
    if n.rubrics:
        st.markdown("**Standalone rubrics**")
        st.dataframe(
            [{"id": r.rubric.id, "text": r.rubric.text, "score": round(r.score, 4),
              "cosine": None if r.similarity is None else round(r.similarity, 3),
              "why": why(r.dense_rank, r.bm25_rank, r.similarity), "status": r.rubric.status}
             for r in n.rubrics],
            hide_index=True, width="stretch",
        )  # fmt: skip
    if not (n.queries or n.rubrics):
        st.info("No neighbours: the KB has nothing near this question.")


def _rubric_set(rs: RubricSet) -> None:
    st.subheader("Rubric set")
    st.caption(f"generator {rs.generator} · prompt {rs.prompt} · {'cached' if rs.cached else 'fresh'} · "
               f"{rs.merged} merged, {rs.dropped} dropped by the size cap")  # fmt: skip
    if rs.error is not None:
        st.error(f"Synthesis failed — {rs.error.kind}: {rs.error.message}. "
                 + ("The items below are the retrieved rubrics (fallback)." if rs.fallback else ""))  # fmt: skip
    for n, item in enumerate(rs.items, 1):
        origin = f"{item.origin.value}" + (f" from {', '.join(item.derived_from)}" if item.derived_from else "")
        extras = [f"if {item.condition}" if item.condition else "", f"check: {item.check.type}" if item.check else ""]
        extra = " · ".join(e for e in extras if e)
        st.markdown(f"{n}. **{item.importance.value} {item.kind.value}** (weight {item.weight:g}) — {item.text}  \n"
                    f"   :gray[{origin}{' · ' + extra if extra else ''}]")  # fmt: skip
    if not rs.items:
        st.info("The set is empty.")
    st.markdown(f"**Pruned before synthesis** ({len(rs.pruned)})")
    if rs.pruned:
        st.dataframe(
            [{"rubric": p.rubric_id, "text": p.text, "reason": p.reason.value, "threshold": p.threshold,
              "hit rate": p.retrieval_rate, "met rate": p.met_rate, "retrieved": p.retrieved}
             for p in rs.pruned],
            hide_index=True, width="stretch",
        )  # fmt: skip
    else:
        st.caption("Pruning removed nothing.")


def _reward(reward: RewardResult | None) -> None:
    st.subheader("Reward")
    if reward is None:
        st.info("Add a response or a τ² trajectory to score it.")
        return
    if reward.error is not None:
        st.error(f"score: None — {reward.error.kind} at {reward.error.stage}: {reward.error.message}")
    else:
        cols = st.columns(3)
        cols[0].metric("Score", f"{reward.score:.3f}")
        cols[1].metric("Capped by a gate", "yes" if reward.capped else "no")
        cols[2].metric("Latency", f"{reward.latency_s:.1f} s")
    components = {k: v for k, v in reward.components.items() if v is not None}
    if components:
        st.markdown("**Score breakdown**")
        st.dataframe([{"component": k, "value": round(v, 4)} for k, v in components.items()], hide_index=True)
    if reward.verdicts:
        st.markdown("**Per-criterion verdicts**")
        st.dataframe(
            [{"criterion": v.text, "verdict": v.verdict.value, "reason": v.reason, "kind": v.kind,
              "weight": v.weight, "component": v.component, "gate": v.gate,
              "decided by": f"{v.decided_by.kind}:{v.decided_by.name}", "rubrics": ", ".join(v.rubric_ids)}
             for v in reward.verdicts],
            hide_index=True, width="stretch",
        )  # fmt: skip
    for note in reward.notes:
        st.caption(note)


def render(cfg: Settings) -> None:
    st.header("Try it")
    st.caption("Runs what a reward runs; nothing here counts into the usage statistics.")
    st.text_area("Telecom question", key="try_question", height=80)
    st.text_area("Response to score (optional)", key="try_response", height=100)
    cols = st.columns([2, 1])
    cols[0].file_uploader("τ² trajectory JSON (optional)", type=["json"], key="try_trajectory")
    cols[1].text_input("τ² task id (optional)", key="try_task_id")
    clicked = st.button("Run", key="try_run", type="primary")
    autorun = st.session_state.pop("try_autorun", False)
    question = str(st.session_state.get("try_question", "")).strip()
    if (clicked or autorun) and question:
        trajectory, problem = _trajectory()
        if problem:
            st.error(problem)
            return
        with st.spinner("retrieving, synthesising, judging…"):
            st.session_state[RESULT] = run(
                cfg,
                question,
                str(st.session_state.get("try_response", "")).strip() or None,
                trajectory,
                str(st.session_state.get("try_task_id", "")).strip() or None,
            )
    elif clicked:
        st.warning("Type a question first.")
    tried: Tried | None = st.session_state.get(RESULT)
    if tried is None:
        return
    st.divider()
    st.caption(f"Results for: {tried.question}")
    _neighbours(tried.neighbours)
    _rubric_set(tried.rubric_set)
    _reward(tried.reward)
