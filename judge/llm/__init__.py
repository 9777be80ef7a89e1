"""The LLM client layer: schema-constrained calls to any OpenAI-compatible server, errors as values.

Typical use::

    client = LLMClient.from_settings(settings)
    reply = await client.acomplete(load_prompt("judge", "pointwise"), CriterionVerdicts, {"request": r, ...})
    if reply.error: ...  # LLMError(kind=LLMErrorKind.TIMEOUT, ...)
"""

from judge.llm.client import EndpointStatus, LLMClient, LLMReply, Ping, aping, aprobe_endpoint
from judge.llm.errors import LLMError, LLMErrorKind, LLMSetupError, classify
from judge.llm.model_files import ModelFile, ModelFileError, resolve_model_file
from judge.llm.prompt import PromptSpec, load_prompt, neutralise
from judge.llm.server import EmbeddedServer, ServerStartError, shared_server_url, smollm2_endpoint
from judge.llm.transport import ChatMessage, ChatRequest, ChatResponse, ScriptedTransport, Transport
from judge.llm.usage import TokenUsage, sum_usage

__all__ = [
    "ChatMessage",
    "ChatRequest",
    "ChatResponse",
    "EmbeddedServer",
    "EndpointStatus",
    "LLMClient",
    "LLMError",
    "LLMErrorKind",
    "LLMReply",
    "LLMSetupError",
    "ModelFile",
    "ModelFileError",
    "Ping",
    "PromptSpec",
    "ScriptedTransport",
    "ServerStartError",
    "TokenUsage",
    "Transport",
    "aping",
    "aprobe_endpoint",
    "classify",
    "load_prompt",
    "neutralise",
    "resolve_model_file",
    "shared_server_url",
    "smollm2_endpoint",
    "sum_usage",
]
