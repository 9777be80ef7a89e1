"""Programmatic verifiers: deterministic checks that run before any LLM judge."""
