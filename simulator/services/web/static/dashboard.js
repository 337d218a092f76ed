// The QA dashboard: reads and drives the admin API (/_admin/...), nothing of its own.
// Same-origin credentials go with every call, so an admin token cookie works too.
"use strict";

const $ = (selector) => document.querySelector(selector);

async function api(path, options = {}) {
  const init = { credentials: "same-origin", headers: { Accept: "application/json" }, ...options };
  if (options.body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(options.body);
  }
  const response = await fetch("/_admin" + path, init);
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const reason = data && data.error ? data.error : `${response.status} ${response.statusText}`;
    throw new Error(data && data.problems ? `${reason}: ${data.problems.join("; ")}` : reason);
  }
  return data;
}

function say(text) {
  $("#status").textContent = text;
}

async function act(description, work) {
  try {
    await work();
    say(description);
    await refresh();
  } catch (error) {
    say(`Refused: ${error.message}`);
  }
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text === null || text === undefined ? "" : String(text);
  if (className) td.className = className;
  return td;
}

// -- clock ------------------------------------------------------------------------------
async function showClock() {
  const clock = await api("/clock");
  $("#clock-now").textContent = clock.now;
  $("#clock-state").textContent = clock.frozen ? "(frozen)" : "(running)";
  const when = $("#clock-when");
  if (!when.dataset.edited) when.value = clock.now;  // the clock, until someone starts typing
}

$("#clock-when").addEventListener("input", (event) => { event.target.dataset.edited = "yes"; });
$("#clock-set").addEventListener("submit", (event) => {
  event.preventDefault();
  const when = $("#clock-when");
  act("Clock set.", async () => {
    await api("/clock", { method: "PUT", body: { now: when.value.trim() } });
    delete when.dataset.edited;
  });
});
$("#clock-advance").addEventListener("submit", (event) => {
  event.preventDefault();
  const amount = Number($("#advance-amount").value);
  const unit = $("#advance-unit").value;
  act(`Clock advanced by ${amount} ${unit}.`, () => api("/clock/advance", { method: "POST", body: { [unit]: amount } }));
});
$("#clock-freeze").addEventListener("click", () => act("Clock frozen.", () => api("/clock/freeze", { method: "POST" })));
$("#clock-unfreeze").addEventListener("click", () => act("Clock running.", () => api("/clock/unfreeze", { method: "POST" })));

// -- rates and SLA breaches ------------------------------------------------------------
const SVG = "http://www.w3.org/2000/svg";

function chart(series, step) {
  const width = 180, height = 36, gap = 1;
  const most = Math.max(1, ...series.map((p) => p.requests));
  const bar = width / series.length;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "chart");
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `Requests per ${step} s, oldest first: ${series.map((p) => p.requests).join(", ")}`);
  series.forEach((p, i) => {
    for (const [count, colour] of [[p.requests, "#2f7d6d"], [p.errors + p.sla_breaches, "#b00020"]]) {
      if (!count) continue;
      const h = Math.max(1, (Math.min(count, most) / most) * (height - 2));
      const rect = document.createElementNS(SVG, "rect");
      rect.setAttribute("x", i * bar + gap / 2);
      rect.setAttribute("y", height - h);
      rect.setAttribute("width", Math.max(1, bar - gap));
      rect.setAttribute("height", h);
      rect.setAttribute("fill", colour);
      svg.appendChild(rect);
    }
  });
  return svg;
}

async function showTraffic() {
  const minutes = $("#traffic-minutes").value;
  const traffic = await api(`/traffic?minutes=${minutes}&step=10`);
  const body = $("#traffic tbody");
  body.replaceChildren();
  for (const org of traffic.organisations) {
    const row = body.insertRow();
    row.dataset.organisation = org.organisation;
    cell(row, org.name ? `${org.organisation} ${org.name}` : org.organisation);
    cell(row, org.last_minute.requests);
    cell(row, org.last_minute.errors, org.last_minute.errors ? "outcome-bad" : "");
    cell(row, org.last_minute.sla_breaches, org.last_minute.sla_breaches ? "outcome-bad" : "");
    cell(row, org.last_minute.mean_ms.toFixed(1));
    cell(row, org.limit_per_minute);
    row.insertCell().appendChild(chart(org.series, traffic.step));
  }
  if (!traffic.organisations.length) cell(body.insertRow(), "No traffic in the window.").colSpan = 7;
}
$("#traffic-minutes").addEventListener("change", () => refresh());

// -- fault rules -----------------------------------------------------------------------
const MATCH_FIELDS = ["organisation", "binding", "path", "personnummer", "benefit"];

async function showFaults() {
  const rules = await api("/faults");
  const body = $("#faults tbody");
  body.replaceChildren();
  for (const rule of rules) {
    const row = body.insertRow();
    row.dataset.rule = rule.id;
    cell(row, rule.id);
    cell(row, rule.kind + (rule.technical_error ? ` ${rule.technical_error}` : "") + (rule.kind === "http_status" ? ` ${rule.status}` : ""));
    const matches = MATCH_FIELDS.filter((f) => rule[f]).map((f) => `${f}=${rule[f]}`);
    if (rule.probability !== 1) matches.push(`p=${rule.probability}`);
    if (rule.times) matches.push(`times=${rule.times}`);
    cell(row, matches.join(", ") || "every request");
    cell(row, rule.used);
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "small secondary";
    remove.textContent = "Remove";
    remove.setAttribute("aria-label", `Remove rule ${rule.id}`);
    remove.addEventListener("click", () => act(`Rule ${rule.id} removed.`,
      () => api(`/faults/${encodeURIComponent(rule.id)}`, { method: "DELETE" })));
    row.insertCell().appendChild(remove);
  }
  if (!rules.length) cell(body.insertRow(), "No active rules.").colSpan = 5;
}

$("#fault-add").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const rule = {};
  for (const [key, value] of form.entries()) {
    const text = String(value).trim();
    if (text === "") continue;
    if (["probability", "times", "status"].includes(key)) rule[key] = Number(text);
    else if (key === "latency") rule.latency = { fixed: Number(text) };
    else rule[key] = text;
  }
  act(`Rule ${rule.id} added.`, async () => {
    await api("/faults", { method: "POST", body: rule });
    event.target.reset();
  });
});

// -- journal ---------------------------------------------------------------------------
let journalKey = "";

function journalQuery() {
  const params = new URLSearchParams({ limit: $("#journal-limit").value, bodies: "false" });
  for (const name of ["organisation", "binding"]) {
    const value = $(`#journal-${name}`).value;
    if (value) params.set(name, value);
  }
  return params.toString();
}

// XML on one line (as the bindings answer) indented a tag a line; JSON indented; the rest as is
function pretty(text) {
  const trimmed = text.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try { return JSON.stringify(JSON.parse(trimmed), null, 2); } catch { return text; }
  }
  if (!trimmed.startsWith("<") || trimmed.split("\n").length > 3) return text;
  let depth = 0;
  return trimmed.replace(/>\s*</g, ">\n<").split("\n").map((line) => {
    if (line.startsWith("</")) depth = Math.max(depth - 1, 0);
    const indented = "  ".repeat(depth) + line;
    if (/^<[^!?/][^>]*>$/.test(line) && !line.endsWith("/>")) depth += 1;  // an opening tag on its own
    return indented;
  }).join("\n");
}

function journalRows(entry) {
  const row = document.createElement("tr");
  row.dataset.id = entry.id;
  row.dataset.seq = entry.seq;
  cell(row, entry.at.replace("T", " ").slice(0, 19));
  cell(row, entry.binding);
  cell(row, entry.organisation);
  cell(row, entry.personnummer);
  const good = entry.outcome === "ok" || entry.outcome.startsWith("business");
  cell(row, entry.outcome + (entry.fault_rule ? ` (rule ${entry.fault_rule})` : "") +
    (entry.sla_breach ? ` (SLA ${entry.sla_breach})` : ""), good ? "outcome-ok" : "outcome-bad").dataset.field = "outcome";
  cell(row, entry.status);
  cell(row, entry.duration_ms.toFixed(1));
  // the raw request and answer in a row of their own below, loaded when first shown
  const raw = document.createElement("tr");
  raw.dataset.seq = entry.seq;
  raw.dataset.rawFor = entry.id;
  raw.id = `raw-${entry.seq}`;
  raw.hidden = true;
  const rawCell = raw.insertCell();
  rawCell.colSpan = 8;
  const toggle = document.createElement("button");
  toggle.type = "button";
  toggle.className = "small secondary";
  toggle.textContent = "Show";
  toggle.setAttribute("aria-expanded", "false");
  toggle.setAttribute("aria-controls", raw.id);
  toggle.setAttribute("aria-label", `Request and answer of ${entry.binding} request ${entry.id}`);
  toggle.addEventListener("click", async () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    if (open && !raw.dataset.loaded) {
      try {
        const full = await api(`/journal/${encodeURIComponent(entry.id)}`);
        for (const [title, text] of [["Request", full.request], ["Answer", full.response]]) {
          const heading = document.createElement("h3");
          heading.textContent = title;
          const pre = document.createElement("pre");
          pre.className = "body";
          pre.textContent = text ? pretty(text) : "(empty)";
          rawCell.append(heading, pre);
        }
        raw.dataset.loaded = "yes";
      } catch (error) {
        say(`Could not load the entry: ${error.message}`);
        return;
      }
    }
    raw.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    toggle.textContent = open ? "Hide" : "Show";
  });
  row.insertCell().appendChild(toggle);
  return [row, raw];
}

async function showJournal() {
  const query = journalQuery();
  const { entries } = await api(`/journal?${query}`);
  const body = $("#journal tbody");
  if (query !== journalKey) {
    body.replaceChildren();
    journalKey = query;
  }
  // keep rows already shown (an opened entry stays open); add the new ones on top
  const newest = body.rows.length ? Number(body.rows[0].dataset.seq) : 0;
  const fresh = entries.filter((e) => e.seq > newest);
  for (const entry of fresh.reverse()) body.prepend(...journalRows(entry));
  const kept = new Set(entries.map((e) => String(e.seq)));
  for (const row of [...body.rows]) if (!kept.has(row.dataset.seq)) row.remove();  // beyond the limit, or emptied
}
$("#journal-filter").addEventListener("change", () => refresh());
$("#journal-clear").addEventListener("click", () => act("Journal emptied.", () => api("/journal", { method: "DELETE" })));

// -- refresh -----------------------------------------------------------------------------
let queue = Promise.resolve();

async function load() {
  try {
    await Promise.all([showClock(), showTraffic(), showFaults(), showJournal()]);
  } catch (error) {
    say(`The admin API did not answer: ${error.message}`);
  }
}

function refresh() {  // one at a time: two overlapping loads would show a journal entry twice
  queue = queue.then(load);
  return queue;
}

refresh();
setInterval(() => { if ($("#live").checked) refresh(); }, 2000);
