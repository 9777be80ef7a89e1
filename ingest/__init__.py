"""Turning outside material into knowledge-base records: expert rubric files and telecom datasets."""

from ingest.expert.job import ingest_expert_files, load_expert_files
from ingest.job import write_records
from ingest.summary import IngestSummary
from ingest.tau2 import ingest_tau2, load_tau2
from ingest.telemath import ingest_telemath, load_telemath
from ingest.teleqna import ingest_teleqna, load_teleqna

__all__ = [
    "IngestSummary",
    "ingest_expert_files",
    "ingest_tau2",
    "ingest_telemath",
    "ingest_teleqna",
    "load_expert_files",
    "load_tau2",
    "load_telemath",
    "load_teleqna",
    "write_records",
]
