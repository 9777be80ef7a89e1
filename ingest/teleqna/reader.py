"""Reading TeleQnA: the upstream AES-encrypted zip, decrypted in memory only (its text is never written or logged),
or a GSMA Open-Telco export (JSON Lines or a JSON array of `question, choices, answer, subject` rows)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pyzipper

from ingest.reader import Entry, decode, parse_json_members, parse_records, read_entries
from kb import InputProblem

DEFAULT_PASSWORD = "teleqnadataset"  # published in upstream's README
MEMBER = "TeleQnA.txt"


def read_zip(path: Path, password: str, problems: list[InputProblem]) -> list[Entry[Any]]:
    """The zip member's `"question N"` → item pairs: entries keyed by `question N`, each with its line."""
    try:
        archive = pyzipper.AESZipFile(path)
    except FileNotFoundError:
        problems.append(InputProblem(str(path), None, None, "file not found; expected the upstream TeleQnA.zip"))
        return []
    except (pyzipper.BadZipFile, zipfile.BadZipFile, OSError) as exc:
        problems.append(
            InputProblem(str(path), None, None, f"not a readable zip file ({exc}); expected the upstream TeleQnA.zip")
        )
        return []
    with archive:
        names = archive.namelist()
        member = MEMBER if MEMBER in names else next((n for n in names if n.endswith((".txt", ".json"))), None)
        if member is None:
            problems.append(InputProblem(str(path), None, None, f"no {MEMBER} inside (found {', '.join(names)})"))
            return []
        shown = f"{path}!{member}"
        try:
            raw = archive.read(member, pwd=password.encode())
        except RuntimeError as exc:
            if "password" not in str(exc).lower():
                raise
            message = f"wrong password; upstream publishes {DEFAULT_PASSWORD!r} (pass it with --password)"
            problems.append(InputProblem(shown, None, None, message))
            return []
    text = decode(raw, shown, problems)
    if text is None:
        return []
    return parse_json_members(text, shown, problems, root=dict, expected='a JSON object of "question N" → item')


def read_teleqna(path: Path, password: str, problems: list[InputProblem]) -> list[Entry[Any]]:
    """Upstream items (entries keyed `question N`) from a `.zip`; Open-Telco rows (no key) from `.jsonl` / `.json`."""
    if path.suffix.lower() == ".zip":
        return read_zip(path, password, problems)
    parsers = {".jsonl": parse_records, ".ndjson": parse_records, ".json": parse_records}
    expected = "the upstream TeleQnA.zip, or a GSMA Open-Telco .jsonl or .json export"
    return read_entries(path, problems, parsers, expected=expected)
