"""The admin API under /_admin/ (SPEC §6): scenario, clock, fault rules, journal, health.

Not part of FK's interface: JSON in and out, documented by schemas/admin-openapi.yaml,
served at /_admin/openapi.json. Every refusal is a JSON ``{"error", "problems"?}``. One
module per resource; the routes are all here.
"""

from __future__ import annotations

from aiohttp import web

from simulator.control.admin.auth import TOKEN_COOKIE, admin_token_for, require_token
from simulator.control.admin.clock import (
    advance_clock,
    freeze_clock,
    get_clock,
    put_clock,
    unfreeze_clock,
)
from simulator.control.admin.common import PREFIX
from simulator.control.admin.faults import (
    add_fault,
    clear_faults,
    list_faults,
    remove_fault,
    replace_faults,
)
from simulator.control.admin.health import health, openapi
from simulator.control.admin.journal import (
    clear_journal,
    count_journal,
    get_journal,
    get_journal_entry,
    get_journal_settings,
    put_journal_settings,
)
from simulator.control.admin.scenario import (
    get_scenario,
    put_scenario,
    reload_scenario,
    reset_scenario,
)
from simulator.control.admin.services import (
    list_leka_notifications,
    list_leka_subscriptions,
    list_massfraga_jobs,
    make_leka_notifications,
    run_prenumeration_batch,
)
from simulator.control.admin.traffic import get_traffic

__all__ = ["setup", "PREFIX", "admin_token_for", "require_token", "TOKEN_COOKIE"]


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get(f"{PREFIX}/openapi.json", openapi)
    r.add_get(f"{PREFIX}/health", health)
    r.add_get(f"{PREFIX}/scenario", get_scenario)
    r.add_put(f"{PREFIX}/scenario", put_scenario)
    r.add_post(f"{PREFIX}/scenario/reset", reset_scenario)
    r.add_post(f"{PREFIX}/scenario/reload", reload_scenario)
    r.add_get(f"{PREFIX}/clock", get_clock)
    r.add_put(f"{PREFIX}/clock", put_clock)
    r.add_post(f"{PREFIX}/clock/advance", advance_clock)
    r.add_post(f"{PREFIX}/clock/freeze", freeze_clock)
    r.add_post(f"{PREFIX}/clock/unfreeze", unfreeze_clock)
    r.add_get(f"{PREFIX}/faults", list_faults)
    r.add_post(f"{PREFIX}/faults", add_fault)
    r.add_put(f"{PREFIX}/faults", replace_faults)
    r.add_delete(f"{PREFIX}/faults", clear_faults)
    r.add_delete(f"{PREFIX}/faults/{{id}}", remove_fault)
    r.add_get(f"{PREFIX}/journal", get_journal)
    r.add_delete(f"{PREFIX}/journal", clear_journal)
    r.add_get(f"{PREFIX}/journal/count", count_journal)
    r.add_get(f"{PREFIX}/journal/settings", get_journal_settings)
    r.add_put(f"{PREFIX}/journal/settings", put_journal_settings)
    r.add_get(f"{PREFIX}/journal/{{id}}", get_journal_entry)
    r.add_get(f"{PREFIX}/traffic", get_traffic)
    r.add_post(f"{PREFIX}/prenumeration/batch", run_prenumeration_batch)
    r.add_get(f"{PREFIX}/massfraga/jobb", list_massfraga_jobs)
    r.add_get(f"{PREFIX}/leka/prenumerationer", list_leka_subscriptions)
    r.add_get(f"{PREFIX}/leka/aviseringar", list_leka_notifications)
    r.add_post(f"{PREFIX}/leka/avisera", make_leka_notifications)
