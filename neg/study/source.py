"""A study config's source: safe YAML loading, where each key came from (file and line, or the
override that set it), and dotted ``--set`` overrides. The checks report every problem under its
key through :meth:`Source.where`."""

from __future__ import annotations

import copy
import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from neg.study.errors import ConfigError, Problem
from neg.study.sweep import describe

__all__ = ["Source", "load_source"]


@dataclass
class Source:
    """A config's data (after overrides) with where each key came from."""

    data: Any
    text: str
    path: Path | None
    base_dir: Path
    lines: dict[str, int]
    overrides: dict[str, str]  # dotted key -> how it was set ("--set key=value")
    problems: list = dataclasses.field(default_factory=list)  # found while loading (overrides, ...)

    @property
    def file(self) -> str:
        return str(self.path) if self.path is not None else "<config>"

    def where(self, key: str) -> tuple[str, int | None]:
        for k in _ancestors(key):
            if k in self.overrides:
                return self.overrides[k], None
        for k in _ancestors(key):
            if k in self.lines:
                return self.file, self.lines[k]
        return self.file, None


def _ancestors(key: str):
    """'a.b[0].c' -> 'a.b[0].c', 'a.b[0]', 'a.b', 'a'."""
    while key:
        yield key
        cut = max(key.rfind("."), key.rfind("["))
        if cut <= 0:
            return
        key = key[:cut]


def _line_map(node, prefix: str, lines: dict, dups: list) -> None:
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for k, v in node.value:
            name = str(k.value)
            path = f"{prefix}.{name}" if prefix else name
            if name in seen and name != "<<":
                dups.append((path, k.start_mark.line + 1))
            seen.add(name)
            lines[path] = k.start_mark.line + 1
            _line_map(v, path, lines, dups)
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            path = f"{prefix}[{i}]"
            lines[path] = v.start_mark.line + 1
            _line_map(v, path, lines, dups)


def load_source(config, overrides=None, *, base=None) -> Source:
    """Read a config (a path, or a dict) and apply ``overrides``: a list of ``"dotted.key=value"``
    strings (values parsed as YAML) or a dict ``{dotted.key: value}`` (values used as given).

    Relative paths in the config (``geography.file``, ``output.path``) are resolved against the
    config file's folder; for a dict, against ``base`` (default: the current folder)."""
    problems: list[Problem] = []
    if isinstance(config, dict):
        data = copy.deepcopy(config)
        try:
            text = yaml.safe_dump(data, sort_keys=False)
        except yaml.YAMLError:
            text = repr(data)
        src = Source(data, text, None, Path(base).resolve() if base is not None else Path.cwd(), {}, {})
    else:
        if base is not None:
            raise ConfigError([Problem("", "base= is for a config dict: the relative paths of a config "
                                           "file are relative to its folder", str(config))])
        path = Path(config)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError([Problem("", "config file not found", str(path))]) from None
        except (OSError, UnicodeDecodeError) as e:
            raise ConfigError([Problem("", f"cannot read the config: {e}", str(path))]) from None
        lines: dict[str, int] = {}
        try:
            data = yaml.load(text, Loader=yaml.SafeLoader)
            dups: list = []
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            if node is not None:
                _line_map(node, "", lines, dups)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            msg = getattr(e, "problem", None) or str(e)
            raise ConfigError([Problem("", f"invalid YAML: {msg}", str(path),
                                       mark.line + 1 if mark is not None else None)]) from None
        except RecursionError:
            raise ConfigError([Problem("", "invalid YAML: nested too deeply", str(path))]) from None
        src = Source(data, text, path, path.resolve().parent, lines, {})
        for key, line in dups:
            problems.append(Problem(key, "duplicate key (the later value would silently win)",
                                    str(path), line))
    if src.data is None:
        src.data = {}
    if overrides:
        items = overrides.items() if isinstance(overrides, dict) else overrides
        for item in items:
            if isinstance(item, tuple):
                key, value, how = str(item[0]), item[1], f"override {item[0]}={item[1]!r}"
            else:
                text_item = str(item)
                if "=" not in text_item:
                    problems.append(Problem("", f"--set {text_item}: expected dotted.key=value",
                                            "command line"))
                    continue
                key, raw = text_item.split("=", 1)
                key = key.strip()
                how = f"--set {key}={raw}"
                try:
                    value = yaml.load(raw, Loader=yaml.SafeLoader) if raw.strip() else None
                except yaml.YAMLError as e:
                    problems.append(Problem(key, f"invalid YAML value {raw!r}: "
                                                 f"{getattr(e, 'problem', None) or e}", how))
                    continue
            err = _set_dotted(src, key, value, how)
            if err:
                problems.append(Problem(key, err, how))
    src.problems = problems  # reported by validate() together with everything else
    return src


_KEY_PART = re.compile(r"^[^.\[\]]+$")


def _set_dotted(src: Source, key: str, value, how: str) -> str | None:
    parts = key.split(".")
    if not key or not all(_KEY_PART.match(p) for p in parts):
        return "expected a dotted key such as model.sigma or sweep.axes.phi.num"
    if not isinstance(src.data, dict):
        return "the config is not a mapping"
    node = src.data
    for depth, p in enumerate(parts[:-1]):
        here = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            if not p.isdigit() or int(p) >= len(node):
                return f"{here}: {p!r} is not an index of the list (length {len(node)})"
            if not isinstance(node[int(p)], (dict, list)):
                node[int(p)] = {}
            node = node[int(p)]
        elif isinstance(node, dict):
            if not isinstance(node.get(p), (dict, list)):
                if p in node and node[p] is not None:
                    return f"{here} is {describe(node[p])}, not a mapping"
                node[p] = {}
            node = node[p]
    last = parts[-1]
    if isinstance(node, list):
        if not last.isdigit() or int(last) >= len(node):
            return f"{last!r} is not an index of the list (length {len(node)})"
        node[int(last)] = value
    else:
        node[last] = value
    path = key
    src.overrides[path] = how
    # list indices given as .0 are recorded in the bracket form used by messages too
    src.overrides[re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", path)] = how
    return None
