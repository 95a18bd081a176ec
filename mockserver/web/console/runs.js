// Runs: every run with its plan and timeline, filtered by vendor and state; force a live run;
// queue how the next runs of a vendor go.

import { get, post } from "./api.js";
import {
  $, clearErrors, clockTime, fillSelect, h, numberOrText, shortId, showErrors, stateBadge,
} from "./dom.js";

function plan(run) {
  const { outcome, seconds, polls } = run.plan;
  const after = [];
  if (seconds !== null && seconds !== undefined) after.push(`${seconds} s`);
  if (polls !== null && polls !== undefined) after.push(`${polls} poll${polls === 1 ? "" : "s"}`);
  return h("span", {}, h("strong", {}, outcome), after.length ? ` after ${after.join(" or ")}` : "");
}

function timeline(run, lifecycle, today) {
  const steps = run.timeline || [{ state: run.state, at: run.created_at }];
  const parts = [];
  steps.forEach((step, index) => {
    if (index) parts.push(h("span", { class: "arrow" }, "→"));
    parts.push(h("span", { class: "step" }, stateBadge(step.state, lifecycle),
      h("span", { class: "at" }, clockTime(step.at, today))));
  });
  return h("div", { class: "timeline" }, parts);
}

function forceCell(run, lifecycle, refresh) {
  if (!lifecycle || lifecycle.terminal.includes(run.state)) {
    return h("span", { class: "muted", title: "terminal states never change" }, "—");
  }
  const select = h("select", { "aria-label": "state", name: "state" },
    lifecycle.states.filter((s) => s !== run.state).map((s) => h("option", { value: s }, s)));
  select.value = lifecycle.failure;
  const error = h("span", { class: "form-error", "data-error-for": "form" });
  const form = h("form", { class: "force" }, select,
    h("button", { class: "btn small", type: "submit" }, "Force"), error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    try {
      await post(`/runs/${run.vendor}/${run.id}/state`, { state: select.value });
      select.blur();
      shown = "";
      await refresh();
    } catch (failure) {
      showErrors(form, failure);
    }
  });
  return form;
}

let shown = "";
const LIMIT = 200;

const lifecycleOf = (state, run) => (state.lifecycles[run.vendor] || {})[run.resource];
let scenarioChoices = () => {};

// What to do when there is no run yet: the operations that start one, at their full URLs.
function emptyHint(state, vendor, wanted) {
  if (vendor || wanted) return ["No run matches these filters."];
  const starts = Object.entries(state.operations).flatMap(([name, operations]) => operations
    .filter((op) => op.roles.includes("create"))
    .map((op) => h("li", {}, h("code", {}, `${op.method} ${state.overview.vendors[name].base_url}${op.path}`))));
  return [h("div", {}, "No runs yet. A run starts when a client calls one of these:"),
    h("ul", { class: "hint-list" }, starts)];
}

export function setup({ state, refresh, go }) {
  const update = () => go("runs", { vendor: $("#runs-vendor").value, state: $("#runs-state").value });
  $("#runs-vendor").addEventListener("change", update);
  $("#runs-state").addEventListener("change", update);

  const form = $("#scenario-form");
  scenarioChoices = () => {
    const lifecycles = state.lifecycles[form.elements.vendor.value] || {};
    fillSelect(form.elements.resource, Object.keys(lifecycles).map((r) => ({ value: r, label: r })));
    const lifecycle = lifecycles[form.elements.resource.value];
    fillSelect(form.elements.outcome, [{ value: "", label: "as the request asks" },
      ...(lifecycle ? lifecycle.outcomes : []).map((o) => ({ value: o, label: o }))]);
  };
  form.elements.vendor.addEventListener("change", () => scenarioChoices());
  form.elements.resource.addEventListener("change", () => scenarioChoices());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const fields = form.elements;
    const body = { vendor: fields.vendor.value, resource: fields.resource.value || null,
      outcome: fields.outcome.value || null, polls: numberOrText(fields.polls.value),
      seconds: numberOrText(fields.seconds.value), count: numberOrText(fields.count.value) };
    try {
      await post("/scenarios", body);
      form.querySelector("[data-ok]").textContent = "Queued.";
      await refresh();
    } catch (error) {
      showErrors(form, error);
    }
  });
}

export async function render({ state, params, refresh }) {
  const vendors = Object.keys(state.overview.vendors);
  const vendor = params.get("vendor") || "";
  const wanted = params.get("state") || "";
  fillSelect($("#runs-vendor"), [{ value: "", label: "all vendors" },
    ...vendors.map((v) => ({ value: v, label: state.overview.vendors[v].title || v }))], false);
  $("#runs-vendor").value = vendor;
  const states = new Set();
  for (const v of vendor ? [vendor] : vendors) {
    for (const lifecycle of Object.values(state.lifecycles[v] || {})) lifecycle.states.forEach((s) => states.add(s));
  }
  fillSelect($("#runs-state"), [{ value: "", label: "any state" },
    ...[...states].sort().map((s) => ({ value: s, label: s }))], false);
  $("#runs-state").value = wanted;

  const form = $("#scenario-form");
  if (!form.elements.vendor.options.length) {
    fillSelect(form.elements.vendor, vendors.map((v) => ({ value: v, label: state.overview.vendors[v].title || v })));
    scenarioChoices();
  }
  const queued = await get("/scenarios");
  $("#scenarios-table").hidden = !queued.length;
  $("#scenarios-table tbody").replaceChildren(...queued.map((s) => h("tr", {},
    h("td", {}, `${s.vendor || "any vendor"}${s.resource ? ` · ${s.resource}` : ""}`),
    h("td", {}, s.outcome || "as asked"), h("td", {}, s.polls ?? "—"), h("td", {}, s.seconds ?? "—"),
    h("td", {}, s.count))));

  const query = new URLSearchParams(Object.entries({ vendor, state: wanted, limit: LIMIT }).filter(([, v]) => v));
  let list;
  try {
    list = await get(`/runs?${query}`);
    $("#runs-error").textContent = "";
  } catch (error) {
    $("#runs-error").textContent = error.message;
    return;
  }
  list = [...list].sort((a, b) => b.created_at - a.created_at);
  const table = $("#runs-table");
  const signature = JSON.stringify([list, state.overview.clock.frozen]);
  const choosing = table.contains(document.activeElement) && document.activeElement.tagName === "SELECT";
  if (signature === shown || choosing) return;
  shown = signature;
  const today = state.overview.clock.now;
  const highlight = params.get("run");
  $("#runs-summary").textContent = list.length === LIMIT ? `the newest ${LIMIT} runs`
    : `${list.length} run${list.length === 1 ? "" : "s"}`;
  $("#runs-empty").hidden = list.length > 0;
  if (!list.length) $("#runs-empty").replaceChildren(...emptyHint(state, vendor, wanted));
  table.hidden = !list.length;
  $("#runs-table tbody").replaceChildren(...list.map((run) => {
    const lifecycle = lifecycleOf(state, run);
    return h("tr", { class: run.id === highlight ? "selected" : "", dataset: { run: run.id, vendor: run.vendor } },
      h("td", {},
        h("div", { class: "run-id", title: run.id }, shortId(run.id)),
        h("div", { class: "run-meta" }, `${state.overview.vendors[run.vendor]?.title || run.vendor} · ${run.resource}`),
        h("a", { href: `#journal?vendor=${run.vendor}&run=${run.id}`, class: "run-meta" }, "requests →")),
      h("td", {}, stateBadge(run.state, lifecycle), run.pinned ? h("div", { class: "run-meta" }, "forced") : null,
        run.reason ? h("div", { class: "run-meta", title: run.reason }, run.reason) : null),
      h("td", {}, plan(run)),
      h("td", { class: "mono" }, clockTime(run.created_at, today)),
      h("td", { class: "num" }, run.polls),
      h("td", {}, timeline(run, lifecycle, today)),
      h("td", {}, forceCell(run, lifecycle, refresh)));
  }));
}
