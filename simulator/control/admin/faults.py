"""/_admin/faults: the fault rules in force."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import TypeAdapter, ValidationError

from simulator.control.admin.common import error, json_body, sandbox_of, share_faults
from simulator.runtime.sandbox import Sandbox
from simulator.scenario.checks import check_fault_rule
from simulator.scenario.models import FaultRule

__all__ = ["list_faults", "add_fault", "replace_faults", "clear_faults", "remove_fault"]

_RULES = TypeAdapter(list[FaultRule])


def _rule_json(sandbox: Sandbox, rule: FaultRule) -> dict[str, Any]:
    data = rule.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["used"] = sandbox.faults.used(rule.id)
    return data


def _parse_rules(data: Any) -> tuple[list[FaultRule], list[str]]:
    try:
        rules = _RULES.validate_python(data)
    except ValidationError as exc:
        return [], [f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()]
    problems = [
        f"{i}.{'.'.join(str(x) for x in loc)}: {reason}"
        for i, rule in enumerate(rules)
        for loc, reason in check_fault_rule(rule)
    ]
    ids = [r.id for r in rules]
    problems += [f"fault rule id {i!r} given twice" for i in sorted({i for i in ids if ids.count(i) > 1})]
    return rules, problems


async def list_faults(request: web.Request) -> web.Response:
    sandbox = sandbox_of(request)
    return web.json_response([_rule_json(sandbox, r) for r in sandbox.faults.rules()])


async def add_fault(request: web.Request) -> web.Response:
    """Adds one rule (a rule with the same id is replaced)."""
    sandbox = sandbox_of(request)
    rules, problems = _parse_rules([await json_body(request)])
    if problems:
        return error(400, "fault rule refused", [p.removeprefix("0.") for p in problems])
    sandbox.faults.add(rules[0])
    await share_faults(request)
    return web.json_response(_rule_json(sandbox, rules[0]), status=201)


async def replace_faults(request: web.Request) -> web.Response:
    sandbox = sandbox_of(request)
    rules, problems = _parse_rules(await json_body(request))
    if problems:
        return error(400, "fault rules refused; the active rules are unchanged", problems)
    sandbox.faults.replace(tuple(rules))
    await share_faults(request)
    return web.json_response([_rule_json(sandbox, r) for r in rules])


async def clear_faults(request: web.Request) -> web.Response:
    sandbox_of(request).faults.replace(())
    await share_faults(request)
    return web.Response(status=204)


async def remove_fault(request: web.Request) -> web.Response:
    rule_id = request.match_info["id"]
    if not sandbox_of(request).faults.remove(rule_id):
        return error(404, f"no fault rule {rule_id!r}")
    await share_faults(request)
    return web.Response(status=204)
