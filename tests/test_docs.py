"""The code in the docs runs, and prints what the docs say it prints.

Every ```python block of README.md and docs/*.md runs, in order, one namespace per file
(``import numpy as np`` and ``import neg`` done), in a scratch directory that sees the shipped
configs. Blocks that only show a signature or need a cluster are fenced ```py.

Shown output is checked, in two forms: a one-line expression followed by a comment
``# -> shown`` (the expression's value), and a ```python block followed at once by a plain ```
block (what the block prints). The numbers of the shown text (words between them are for the
reader; ``nan`` counts as a number, ``True``/``False`` as 1/0) must equal, in order, the numbers
of the value (a number, a tuple or list, an array, an xarray or pandas object: all its values,
flattened) or of the printed text, to within one unit of the last digit shown (``0.142857...``:
truncated to 6 decimals; ``.257``: 3 decimals).
"""

from __future__ import annotations

import ast
import contextlib
import io
import math
import re
from pathlib import Path

import matplotlib
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```\n(?:```\n(.*?)^```)?", re.M | re.S)
SHOWN = re.compile(r"#\s*->\s*(.*)$")
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?:\.\.\.)?"
                    r"|\bnan\b|\bTrue\b|\bFalse\b")


def _blocks(path: Path) -> list[tuple[str, str]]:
    """(code, the output block shown after it, or "") of each ```python block."""
    return BLOCK.findall(path.read_text(encoding="utf-8"))


def shown_numbers(text: str) -> list[tuple[float, float, bool]]:
    """(value, unit of its last digit, truncated) of each number shown in ``text``."""
    out = []
    for tok in NUMBER.findall(text):
        if tok in ("True", "False"):
            out.append((float(tok == "True"), 0.0, False))
            continue
        if tok == "nan":
            out.append((math.nan, 0.0, False))
            continue
        truncated = tok.endswith("...")
        tok = tok.removesuffix("...")
        mant, _, exp = tok.lower().partition("e")
        decimals = len(mant.split(".")[1]) if "." in mant else 0
        out.append((float(tok), 10.0 ** (int(exp or 0) - decimals), truncated))
    return out


def _agrees(shown: float, unit: float, truncated: bool, value: float) -> bool:
    """``value`` rounded (or, shown with "...", truncated) to the shown digits gives ``shown``."""
    if math.isnan(shown) or math.isnan(value):
        return math.isnan(shown) and math.isnan(value)
    slack = 1e-9 * max(unit, abs(shown))
    if truncated:
        return abs(shown) - slack <= abs(value) < abs(shown) + unit + slack and (shown < 0) == (value < 0)
    return abs(value - shown) <= 0.5 * unit + slack


def value_numbers(value) -> list[float]:
    """Every number of a value, flattened in order."""
    if hasattr(value, "to_numpy") and not isinstance(value, np.ndarray):  # xarray, pandas
        value = value.to_numpy()
    if isinstance(value, (tuple, list)):
        return [x for v in value for x in value_numbers(v)]
    arr = np.asarray(value)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"no numbers in a value of type {type(value).__name__}")
    return [float(x) for x in arr.ravel()]


def check_shown(value, shown: str, where: str) -> None:
    want, got = shown_numbers(shown), value_numbers(value)
    assert len(want) == len(got), (f"{where}: the docs show {len(want)} number(s) ({shown}), the code "
                                   f"gives {got}")
    for (w, unit, truncated), g in zip(want, got, strict=True):
        assert _agrees(w, unit, truncated, g), f"{where}: the docs show {shown!r}, the code gives {got}"


def _with_checks(code: str, filename: str) -> ast.Module:
    """The block with each ``expr  # -> shown`` line turned into ``__check__(expr, shown, where)``."""
    lines = code.splitlines()
    tree = ast.parse(code, filename)
    for i, node in enumerate(tree.body):
        m = SHOWN.search(lines[node.end_lineno - 1]) if isinstance(node, ast.Expr) else None
        if m:
            call = ast.Call(ast.Name("__check__", ast.Load()),
                            [node.value, ast.Constant(m.group(1).strip()),
                             ast.Constant(f"{filename}, line {node.lineno}")], [])
            tree.body[i] = ast.copy_location(ast.Expr(call), node)
    return ast.fix_missing_locations(tree)


@pytest.mark.slow
@pytest.mark.parametrize("path", [p for p in FILES if _blocks(p)], ids=lambda p: p.name)
def test_code_in_docs_runs(path, tmp_path, monkeypatch):
    matplotlib.use("Agg")
    (tmp_path / "configs").symlink_to(ROOT / "configs")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__check__": check_shown}
    exec("import numpy as np\nimport neg", namespace)
    for i, (code, output) in enumerate(_blocks(path)):
        name = f"{path.name} (python block {i + 1})"
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(_with_checks(code, name), name, "exec"), namespace)
        if output:
            check_shown([v for v, _, _ in shown_numbers(printed.getvalue())], output, f"{name}, its output")


def test_docs_show_checked_output():
    """The docs' shown values use the checked form (a number in a comment after code is a claim)."""
    shown = [line for p in FILES for code, _ in _blocks(p) for line in code.splitlines()
             if SHOWN.search(line)]
    assert len(shown) >= 6
    assert any(output for p in FILES for _, output in _blocks(p))


@pytest.mark.parametrize("value, shown, ok", [
    ((0.14285714, 0.0937271), "0.142857..., 0.093727...", True),
    ((0.14285714, 0.0937271), "0.142858..., 0.093727...", False),
    (np.array([0.2571, 0.25]), ".257 .250", True),
    ([0.61234, 0.38766], "[0.612, 0.388]", True),
    ([0.61234], "[0.612, 0.388]", False),
    ([10.93, math.nan], "10.93 nan", True),
    (3e-13, "3e-13", True),
    (0.2566, ".257", True),
    (0.2574, ".257", True),
    (0.2576, ".257", False),
    (0.093727999, "0.093727...", True),
    (0.093728001, "0.093727...", False),
    (True, "True", True),
])
def test_check_shown(value, shown, ok):
    if ok:
        check_shown(value, shown, "here")
    else:
        with pytest.raises(AssertionError):
            check_shown(value, shown, "here")
