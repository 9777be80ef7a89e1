"""SFT exports for the rubric generator and the judge: approved or verified items only, rendered with the prompts
inference uses, in LLaMA-Factory / TRL layouts, with a held-out split that never overlaps the evaluation's pairs."""

from judge.export.formats import ExportMeta, SftExample, SftFormat, dataset_info_entry, to_row, write_dataset_info
from judge.export.generator import SynthesisInput, draft_target, synthesis_input
from judge.export.job import ExportReport, ExportTarget, export_sft
from judge.export.judge_rows import Decided, JudgeRows, verdicts_json
from judge.export.responses import calls_messages, item_key, response_text
from judge.export.splits import EvaluationSplit, ExportError, PairSources, load_sources, parse_pair_spec

__all__ = [
    "Decided",
    "EvaluationSplit",
    "ExportError",
    "ExportMeta",
    "ExportReport",
    "ExportTarget",
    "JudgeRows",
    "PairSources",
    "SftExample",
    "SftFormat",
    "SynthesisInput",
    "calls_messages",
    "dataset_info_entry",
    "draft_target",
    "export_sft",
    "item_key",
    "load_sources",
    "parse_pair_spec",
    "response_text",
    "synthesis_input",
    "to_row",
    "verdicts_json",
    "write_dataset_info",
]
