"""Turning outside material into knowledge-base records: expert rubric files and telecom datasets."""

from ingest.expert.job import ingest_expert_files, load_expert_files
from ingest.job import write_records
from ingest.summary import IngestSummary

__all__ = ["IngestSummary", "ingest_expert_files", "load_expert_files", "write_records"]
