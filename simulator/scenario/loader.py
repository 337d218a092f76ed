"""Loading a scenario file: YAML → typed model, with every problem as file:line: reason.

A file is read by the fast reader (fast_yaml.py) where it can make exactly what PyYAML
makes, else by PyYAML itself (the exact reader); both give the same model and problems."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from simulator.scenario import fast_yaml
from simulator.scenario.checks import check_scenario
from simulator.scenario.models import Scenario

__all__ = ["ScenarioProblem", "ScenarioError", "load_scenario", "parse_scenario"]

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class ScenarioProblem:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


class ScenarioError(Exception):
    """A scenario that cannot be used; ``problems`` names file, line and reason."""

    def __init__(self, problems: list[ScenarioProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def load_scenario(path: str | Path) -> Scenario:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([ScenarioProblem(str(path), 1, f"cannot read: {exc}")]) from exc
    return parse_scenario(text, str(path))


def parse_scenario(text: str, filename: str = "<scenario>") -> Scenario:
    """Parse and check a scenario, or raise ``ScenarioError`` naming every problem.

    The fast reader (fast_yaml.py) makes the same data as PyYAML; whatever it leaves to
    the exact reader (a YAML error, a duplicate key, an impossible date, anchors, tags ...)
    is read the exact way, which words those problems."""
    with _collector_paused():
        try:
            document = fast_yaml.read(text)
            if isinstance(document.data, dict):
                return _checked(document.data, document.line_of, filename)
        except fast_yaml.Unsupported:
            pass
        return _parse_exact(text, filename)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while millions of objects are made: it would scan
    them again and again (a third of a large file's load); nothing made here is garbage."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _parse_exact(text: str, filename: str) -> Scenario:
    """PyYAML's pure-Python safe loader, with the node marks giving each problem's line."""
    try:
        loader = _StrictLoader(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        # the context ("while parsing a flow sequence") starts where the broken construct
        # does, which is where a person looks; the problem mark may be the end of the file
        mark = exc.context_mark or exc.problem_mark
        line = mark.line + 1 if mark else 1
        reason = f"not valid YAML: {exc.context + ': ' if exc.context else ''}{exc.problem}"
        if exc.context_mark and exc.problem_mark:
            reason += f" (line {exc.problem_mark.line + 1}, column {exc.problem_mark.column + 1})"
        raise ScenarioError([ScenarioProblem(filename, line, reason)]) from exc
    except yaml.YAMLError as exc:
        raise ScenarioError([ScenarioProblem(filename, 1, f"not valid YAML: {exc}")]) from exc
    except RecursionError:
        raise ScenarioError([ScenarioProblem(filename, 1, "nested too deeply to be a scenario")]) from None
    if not isinstance(data, dict):
        raise ScenarioError([ScenarioProblem(filename, 1, "a scenario is a mapping with at least 'name'")])
    return _checked(data, lambda loc: _line_of(root, loc), filename)


def _checked(data: dict[Any, Any], line_of: Callable[[Loc], int], filename: str) -> Scenario:
    """The scenario ``data`` validated (in one pass over the whole of it) and checked;
    ``line_of`` names the line of a place in the file."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems = [
            ScenarioProblem(
                filename, line_of(tuple(err["loc"])), f"{_dotted(tuple(err['loc']))}: {_reason(err)}"
            )
            for err in exc.errors()
        ]
        raise ScenarioError(_unique(problems)) from exc
    except RecursionError:
        raise ScenarioError([ScenarioProblem(filename, 1, "nested too deeply to be a scenario")]) from None
    problems = [
        ScenarioProblem(filename, line_of(loc), f"{_dotted(loc)}: {reason}")
        for loc, reason in check_scenario(scenario)
    ]
    if problems:
        raise ScenarioError(_unique(problems))
    return scenario


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing what it would let through silently or crash on:
    a key given twice in one mapping (the first value would be lost) and an impossible
    date such as 2025-02-29 (a ValueError without a line)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, (str, int)) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"the key {key!r} is given twice (first on line {seen[key]})",
                    key_node.start_mark,
                )
            if isinstance(key, (str, int)):
                seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is not a date: {exc}", node.start_mark
            ) from None


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _StrictLoader.construct_yaml_timestamp)


def _reason(err: Any) -> str:
    msg = str(err.get("msg", "invalid"))
    return msg.removeprefix("Value error, ")


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top)"


def _line_of(root: yaml.Node | None, loc: Iterable[str | int]) -> int:
    """The 1-based line of the deepest YAML node on ``loc`` that exists."""
    node = root
    line = node.start_mark.line + 1 if node is not None else 1
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    child = value
                    line = key.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if 0 <= part < len(node.value):
                child = node.value[part]
                line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


def _unique(problems: list[ScenarioProblem]) -> list[ScenarioProblem]:
    seen: dict[str, ScenarioProblem] = {}
    for p in problems:
        seen.setdefault(str(p), p)
    return sorted(seen.values(), key=lambda p: p.line)
