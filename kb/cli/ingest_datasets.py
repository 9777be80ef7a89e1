"""`telerubric ingest tau2|teleqna|telemath`: the dataset jobs (registered on the `ingest` group)."""

from __future__ import annotations
