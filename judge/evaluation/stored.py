"""Reports rebuilt from kept checkpoints, without judging anything: the comparison of several conditions over the
pairs all of them have judged, in the order the run gives them. A figure can then be remade from the checkpoints a
repository keeps, and a run stopped mid-chunk still compares its conditions over the same pairs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from judge.evaluation.checkpoint import read_checkpoint
from judge.evaluation.harness import report_of
from judge.evaluation.report import EvalConfig, EvalReport


def stored_reports(checkpoints: Sequence[Path], pair_ids: Sequence[str], pairs_source: str = "") -> list[EvalReport]:
    """One report per checkpoint over the pairs of `pair_ids` that every checkpoint holds (an outcome that ended in
    an error counts: a rerun would judge it again, and until then it is the condition's result). A report's time is
    its file's recorded wall time in proportion to the pairs it keeps.

    Raises:
        InputRejected: a file is missing, not a checkpoint, or has a malformed line.
    """
    runs = [read_checkpoint(path) for path in checkpoints]
    common = [i for i in dict.fromkeys(pair_ids) if all(i in run.outcomes for run in runs)]
    reports = []
    for run in runs:
        fields = run.header.model_dump(mode="json", include=set(EvalConfig.model_fields))
        config = EvalConfig.model_validate({**fields, "pairs_source": pairs_source})
        share = len(common) / len(run.outcomes) if run.outcomes else 0.0
        reports.append(report_of([run.outcomes[i] for i in common], config, run.seconds * share))
    return reports
