"""The LLM client layer: schema-constrained calls to any OpenAI-compatible server, errors as values.

Typical use::

    client = LLMClient.from_settings(settings)
    reply = await client.acomplete(load_prompt("judge", "pointwise"), CriterionVerdicts, {"request": r, ...})
    if reply.error: ...  # LLMError(kind=LLMErrorKind.TIMEOUT, ...)

`llm.transport` picks how calls travel: "http" (plain httpx, the default) or "langchain" (`ChatOpenAI`); both send
the same body and their faults map through `classify` to the same kinds.
"""

from kb.llm.client import EndpointStatus, LLMClient, LLMReply, Ping, aping, aprobe_endpoint
from kb.llm.errors import LLMError, LLMErrorKind, LLMSetupError, ReplyFormatError, classify
from kb.llm.http_transport import HttpTransport
from kb.llm.langchain_transport import LangChainTransport
from kb.llm.model_files import ModelFile, resolve_model_file
from kb.llm.prompt import PromptSpec, load_prompt, neutralise
from kb.llm.server import EmbeddedServer, ServerStartError, server_for, shared_server_url, smollm2_endpoint
from kb.llm.transport import ChatMessage, ChatRequest, ChatResponse, ScriptedTransport, Transport
from kb.llm.usage import TokenUsage, sum_usage

__all__ = [
    "ChatMessage",
    "ChatRequest",
    "ChatResponse",
    "EmbeddedServer",
    "EndpointStatus",
    "HttpTransport",
    "LangChainTransport",
    "LLMClient",
    "LLMError",
    "LLMErrorKind",
    "LLMReply",
    "LLMSetupError",
    "ModelFile",
    "Ping",
    "PromptSpec",
    "ReplyFormatError",
    "ScriptedTransport",
    "ServerStartError",
    "server_for",
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
