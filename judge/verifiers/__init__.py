"""Programmatic verifiers: deterministic checks that run before any LLM judge. Each is a pure function returning a
`CheckOutcome` (verdict + one-line reason); `VerifierError` only when the input cannot be read at all."""

from judge.verifiers.mcq import check_choice
from judge.verifiers.numeric import check_numeric
from judge.verifiers.outcome import CheckOutcome, VerifierError
from judge.verifiers.policy import check_policy
from judge.verifiers.tool_calls import ToolCall, check_tool_call, extract_tool_calls

__all__ = [
    "CheckOutcome",
    "ToolCall",
    "VerifierError",
    "check_choice",
    "check_numeric",
    "check_policy",
    "check_tool_call",
    "extract_tool_calls",
]
