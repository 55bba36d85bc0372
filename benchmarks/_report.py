"""Result rows, the printed table and the JSON file."""

from __future__ import annotations

import json
import operator
import platform
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "latest.json"

_OPS = {">=": operator.ge, "<=": operator.le}


@dataclass
class Row:
    """One line of the table: what was measured, the formatted result, an optional target."""

    case: str  # e.g. "K=3000"
    what: str  # e.g. "numpy damped / neg"
    result: str  # formatted, e.g. "54.1x"
    target: str = ""  # e.g. ">= 30"
    status: str = ""  # "met", "MISSED" or ""
    data: dict = field(default_factory=dict)  # raw numbers for the JSON file


def ratio_row(case: str, what: str, value: float | None, target: str = "", unit: str = "x",
              **data) -> Row:
    """A row for a ratio, checked against ``target`` such as ">= 30" (None: not measured)."""
    if value is None:
        return Row(case, what, "n/a", target, "", {"value": None, **data})
    status = ""
    if target:
        op, bound = target.split()
        status = "met" if _OPS[op](value, float(bound)) else "MISSED"
    return Row(case, what, f"{value:.3g}{unit}", target, status, {"value": value, **data})


def format_table(groups: dict[str, list[Row]]) -> str:
    header = ("group", "case", "measured", "result", "target", "status")
    lines = [header]
    for group, rows in groups.items():
        for r in rows:
            lines.append((group, r.case, r.what, r.result, r.target, r.status))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for n, line in enumerate(lines):
        out.append("  ".join(s.ljust(w) for s, w in zip(line, widths, strict=True)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def _git(*args: str) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=Path(__file__).parent, capture_output=True, text=True)
    except OSError:
        return ""
    return out.stdout.strip()


def write_json(groups: dict[str, list[Row]], quick: bool, path: Path = RESULTS) -> Path:
    import numpy
    import scipy

    meta = {
        "quick": quick,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "git_commit": _git("rev-parse", "HEAD"),
        "neg_uncommitted_changes": bool(_git("status", "--porcelain", "--", "../neg")),
    }
    payload = {"meta": meta, "groups": {g: [asdict(r) for r in rows] for g, rows in groups.items()}}
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=float) + "\n")
    return path
