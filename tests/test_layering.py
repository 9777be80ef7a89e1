"""The package boundaries of DESIGN.md, checked on the import graph (no exemptions)."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("kb", "ingest", "retrieval", "judge", "ui")
# Which other first-party packages each package may import: ui → judge → retrieval → kb, ingest → kb,
# judge → ingest (learning from preference pairs writes drafts through ingestion).
ALLOWED = {
    "kb": set(),
    "ingest": {"kb"},
    "retrieval": {"kb"},
    "judge": {"kb", "retrieval", "ingest"},
    "ui": {"kb", "ingest", "retrieval", "judge"},
}
# Third-party names a package must not know about.
FORBIDDEN_THIRD_PARTY = {"judge": {"pymilvus"}, "ingest": {"pymilvus"}, "retrieval": {"pymilvus"}, "ui": {"pymilvus"}}


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, module, imported names) for every absolute import in the file, including those inside functions."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[tuple[int, str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module, [a.name for a in node.names]))
    return found


def _graph() -> tuple[dict[str, set[str]], list[str]]:
    """Package → packages it imports, and every import that breaks a rule."""
    edges: dict[str, set[str]] = defaultdict(set)
    wrong: list[str] = []
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            where = path.relative_to(REPO)
            for line, module, _ in _imports(path):
                top = module.split(".")[0]
                if top in FORBIDDEN_THIRD_PARTY.get(package, set()):
                    wrong.append(f"{where}:{line} imports {module} (only kb/ knows about Milvus)")
                if top not in PACKAGES or top == package:
                    continue
                edges[package].add(top)
                if top not in ALLOWED[package]:
                    wrong.append(f"{where}:{line} imports {module}: {package} → {top} is against the arrows")
                elif module != top:
                    wrong.append(f"{where}:{line} imports {module}: go through {top}'s __init__ (from {top} import …)")
    return edges, wrong


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path, node, nxt]
            if nxt not in state and (found := visit(nxt, [*path, node])):
                return found
        state[node] = 2
        return None

    for node in PACKAGES:
        if node not in state and (found := visit(node, [])):
            return found
    return None


def test_the_package_graph_follows_the_arrows() -> None:
    edges, wrong = _graph()
    print("\npackage graph:")
    for package in PACKAGES:
        print(f"  {package:<9} → {', '.join(sorted(edges.get(package, ()))) or '(nothing)'}")
    assert _cycle(edges) is None, f"cycle: {' → '.join(_cycle(edges) or [])}"
    assert not wrong, "\n".join(wrong)
    assert not edges.get("kb"), "kb/ must import no other first-party package"


def test_the_layering_check_catches_a_wrong_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from judge.verifiers import x\nimport kb.search.engine\nfrom kb import Settings\n")
    modules = [m for _, m, _ in _imports(bad)]
    assert modules == ["judge.verifiers", "kb.search.engine", "kb"]


def test_the_cli_starts_without_torch() -> None:
    code = "import sys, ui.cli.main; print(any(m == 'torch' or m.startswith('torch.') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
