"""The code in the docs runs: every ```python block of README.md and docs/*.md, in order, one
namespace per file (``import numpy as np`` and ``import neg`` done), in a scratch directory that
sees the shipped configs. Blocks that only show a signature or need a cluster are fenced ```py."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import pytest

ROOT = Path(__file__).resolve().parents[1]
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.M | re.S)


def _blocks(path: Path) -> list[str]:
    return BLOCK.findall(path.read_text(encoding="utf-8"))


@pytest.mark.slow
@pytest.mark.parametrize("path", [p for p in FILES if _blocks(p)], ids=lambda p: p.name)
def test_code_in_docs_runs(path, tmp_path, monkeypatch):
    matplotlib.use("Agg")
    (tmp_path / "configs").symlink_to(ROOT / "configs")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec("import numpy as np\nimport neg", namespace)
    for i, code in enumerate(_blocks(path)):
        exec(compile(code, f"{path.name} (python block {i + 1})", "exec"), namespace)
