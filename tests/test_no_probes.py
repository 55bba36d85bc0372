"""Generic code asks the declared interface, never probes (issue 9): no module in ``neg/``
calls ``hasattr``, reads an attribute with a ``getattr`` default, compares a geography's
``kind`` with a string or checks a model's class name. What a model offers is declared
(``Capability``, ``ModelProtocol`` in neg/models/base.py); whether regions are all alike is
``Geography.vertex_transitive``; the type of a result is asked with ``isinstance``.

The allow-list holds the few places that duck-type objects that are not neg's (exceptions of
a YAML parser, a process pool, an output stream), each with its reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import neg
from neg.models import REGISTRY

ROOT = Path(neg.__file__).parent
FILES = sorted(p for p in ROOT.rglob("*.py") if "__pycache__" not in p.parts)

#: (file relative to neg/, text of the call) -> why the probe is not about a neg object
ALLOWED = {
    ("study/source.py", 'getattr(e, "problem_mark", None)'):
        "a YAML parser's exception: PyYAML's MarkedYAMLError has a mark, other errors do not",
    ("study/source.py", 'getattr(e, "problem", None)'):
        "a YAML parser's exception: PyYAML's MarkedYAMLError has a problem, other errors do not",
    ("study/source.py", "getattr(e, 'problem', None)"):
        "a YAML parser's exception: PyYAML's MarkedYAMLError has a problem, other errors do not",
    ("study/local.py", 'getattr(pool, "_processes", {})'):
        "concurrent.futures' private worker table, absent once the pool has shut down",
    ("study/local.py", 'getattr(self.stream, "isatty", lambda: False)'):
        "any text stream may be given for progress output; not all have isatty",
}

#: the names of the model classes (a class name compared as a string is a class-name check)
MODEL_NAMES = {cls.__name__ for cls in REGISTRY.values()}
#: expressions that name a geography (``geo.kind``, ``geography.kind``, ``model.geography.kind``)
GEOGRAPHY_NAMES = {"geo", "geography"}


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _is_geography(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id in GEOGRAPHY_NAMES
    return isinstance(node, ast.Attribute) and node.attr == "geography"


def _strings(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [s for e in node.elts for s in _strings(e)]
    return []


def probes(path: Path, source: str | None = None) -> list[str]:
    """Every probe in one file (or in ``source``, as if it were that file), as "file:line: what"."""
    source = path.read_text() if source is None else source
    tree = ast.parse(source, filename=str(path))
    rel = _rel(path)
    found = []

    def report(node, what):
        text = ast.get_source_segment(source, node) or ""
        if (rel, text) not in ALLOWED:
            found.append(f"neg/{rel}:{node.lineno}: {what}: {text}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "hasattr":
                report(node, "hasattr probe (declare a Capability or use isinstance)")
            elif node.func.id == "getattr" and len(node.args) == 3:
                report(node, "getattr with a default (an attribute that may be missing is a probe)")
            elif (node.func.id == "isinstance" and len(node.args) == 2
                  and not rel.startswith("models/")):
                classes = node.args[1].elts if isinstance(node.args[1], ast.Tuple) else [node.args[1]]
                if any(isinstance(c, ast.Name) and c.id in MODEL_NAMES for c in classes):
                    report(node, "isinstance check of a specific model class")
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            for side in sides:
                if (isinstance(side, ast.Attribute) and side.attr == "kind"
                        and _is_geography(side.value)
                        and any(_strings(other) for other in sides if other is not side)):
                    report(node, "a geography's kind compared as a string "
                                 "(ask the geography: vertex_transitive, coordinates, edges)")
                if isinstance(side, ast.Attribute) and side.attr == "__name__" and not (
                        isinstance(side.value, ast.Name) and side.value.id == "__name__"):
                    report(node, "a class name compared (declare a Capability)")
            if any(s in MODEL_NAMES for side in sides for s in _strings(side)):
                report(node, "a model's class name compared as a string (declare a Capability)")
    return found


def test_the_scan_sees_the_package():
    names = {_rel(p) for p in FILES}
    assert {"welfare.py", "solvers/bifurcation.py", "study/studies.py", "plot/figures.py", "cli.py"} <= names


def test_no_probes_in_neg():
    found = [f for p in FILES for f in probes(p)]
    assert not found, "probes instead of the declared interface:\n" + "\n".join(found)


def test_allow_list_is_current():
    """Every allowed probe still exists (an entry for code that is gone is dropped)."""
    texts = {(_rel(p), ast.get_source_segment(p.read_text(), n) or "")
             for p in FILES for n in ast.walk(ast.parse(p.read_text())) if isinstance(n, ast.Call)}
    stale = [k for k in ALLOWED if k not in texts]
    assert not stale, f"allow-list entries without their probe: {stale}"


@pytest.mark.parametrize("code, what", [
    ("hasattr(model, 'welfare_groups')", "hasattr"),
    ("getattr(model, 'mobile_factor', 'workers')", "getattr with a default"),
    ("geo.kind in ('two_region', 'racetrack')", "geography's kind"),
    ("model.geography.kind == 'racetrack'", "geography's kind"),
    ("type(model).__name__ == 'Helpman'", "class name"),
    ("model.name == 'Helpman'", "model's class name"),
    ("isinstance(model, CorePeriphery)", "specific model class"),
])
def test_the_scan_finds_probes(code, what):
    found = probes(ROOT / "solvers" / "example.py", code + "\n")  # parsed only, never written
    assert found and any(what in f for f in found), found
