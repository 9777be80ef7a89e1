"""TeleQnA: multiple-choice telecom questions as queries with a choice check and, where explained, a principle."""

from ingest.teleqna.job import ingest_teleqna, load_teleqna
from ingest.teleqna.reader import DEFAULT_PASSWORD
from ingest.teleqna.records import query_id

__all__ = ["DEFAULT_PASSWORD", "ingest_teleqna", "load_teleqna", "query_id"]
