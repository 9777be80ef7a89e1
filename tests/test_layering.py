"""The package boundaries of DESIGN.md, checked on the import graph."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("kb", "ingest", "retrieval", "judge", "ui")
# Which first-party packages each package may import. kb/cli is the composition root that mounts every command.
ALLOWED = {
    "kb": {"kb"},
    "ingest": {"kb", "ingest", "judge"},
    "retrieval": {"kb", "retrieval", "judge"},
    "judge": {"kb", "judge", "retrieval"},
    "ui": {"kb", "retrieval", "judge", "ui"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_packages_import_only_what_the_design_allows() -> None:
    wrong = []
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            if path.is_relative_to(REPO / "kb" / "cli"):
                continue
            for name in _imports(path):
                top = name.split(".")[0]
                if top in PACKAGES and top not in ALLOWED[package]:
                    wrong.append(f"{path.relative_to(REPO)} imports {name}")
                if package == "judge" and (top == "pymilvus" or name.startswith("kb.vectors")):
                    wrong.append(f"{path.relative_to(REPO)} knows about Milvus ({name})")
                if package == "ingest" and (top == "pymilvus" or name.startswith("kb.vectors")):
                    wrong.append(f"{path.relative_to(REPO)} writes to Milvus directly ({name})")
    assert not wrong, "\n".join(wrong)


def test_the_cli_starts_without_torch() -> None:
    code = "import sys, kb.cli.main; print(any(m == 'torch' or m.startswith('torch.') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
