"""TeleMath: numeric telecom problems as queries with a numeric-answer check and a derivation principle."""

from ingest.telemath.job import ingest_telemath, load_telemath
from ingest.telemath.records import DEFAULT_REL_TOL, DERIVATION

__all__ = ["DEFAULT_REL_TOL", "DERIVATION", "ingest_telemath", "load_telemath"]
