// Journal: the latest requests, newest first; violations show the rule they broke; a click
// opens every field of the entry (nested values as a collapsible tree), whatever fields it has.

import { get } from "./api.js";
import { $, clockTime, fillSelect, h, shortId, statusCell } from "./dom.js";
import { tree } from "./tree.js";

const SHOWN_AS_ROW = new Set(["violations", "response_problems"]);
let selected = null;
let shown = "";

const keyOf = (entry) => [entry.time, entry.method, entry.path, entry.status, entry.duration_ms].join("|");

function filters(params) {
  return { vendor: params.get("vendor") || "", operation: params.get("operation") || "",
    verdict: params.get("verdict") || "", run: params.get("run") || "" };
}

function closeDrawer() {
  selected = null;
  $("#drawer").hidden = true;
  for (const row of document.querySelectorAll("#journal-table tr.selected")) row.classList.remove("selected");
}

function openDrawer(entry, today) {
  selected = keyOf(entry);
  $("#drawer-title").textContent = `${entry.method} ${entry.path}`;
  $("#drawer-sub").textContent = [`${entry.status}`, entry.verdict, entry.operation,
    clockTime(entry.time, today), `${entry.duration_ms} ms`].filter(Boolean).join(" · ");
  const body = [];
  if (entry.violations && entry.violations.length) {
    body.push(h("h3", {}, "Broke the contract"), h("ul", { class: "problems" }, entry.violations.map((v) => h("li", {}, v))));
  }
  if (entry.response_problems && entry.response_problems.length) {
    body.push(h("h3", {}, "The mock's response broke the contract"),
      h("ul", { class: "problems" }, entry.response_problems.map((v) => h("li", {}, v))));
  }
  const scalars = {};
  const nested = [];
  for (const [name, value] of Object.entries(entry)) {
    if (value !== null && typeof value === "object" && !SHOWN_AS_ROW.has(name)) nested.push([name, value]);
    else if (!SHOWN_AS_ROW.has(name)) scalars[name] = value;
  }
  body.push(h("h3", {}, "Entry"), tree(scalars, { openDepth: 1 }));
  for (const [name, value] of nested) body.push(h("h3", {}, name.replace(/_/g, " ")), tree(value, { openDepth: 3 }));
  $("#drawer-body").replaceChildren(...body);
  $("#drawer").hidden = false;
  for (const row of document.querySelectorAll("#journal-table tbody tr")) {
    row.classList.toggle("selected", row.dataset.key === selected);
  }
}

export function setup({ go, route }) {
  const update = (changed) => {
    const current = filters(route().params);
    const next = { vendor: $("#journal-vendor").value, operation: $("#journal-operation").value,
      verdict: $("#journal-verdict").value, run: current.run };
    if (changed === "vendor") { next.operation = ""; next.run = ""; }
    go("journal", next);
  };
  $("#journal-vendor").addEventListener("change", () => update("vendor"));
  $("#journal-operation").addEventListener("change", () => update("operation"));
  $("#journal-verdict").addEventListener("change", () => update("verdict"));
  $("#drawer-close").addEventListener("click", closeDrawer);
  document.addEventListener("keydown", (event) => { if (event.key === "Escape") closeDrawer(); });
  window.addEventListener("hashchange", () => { if (route().page !== "journal") closeDrawer(); });
}

export async function render({ state, params, go }) {
  const wanted = filters(params);
  const vendors = Object.keys(state.overview.vendors);
  fillSelect($("#journal-vendor"), [{ value: "", label: "all vendors" },
    ...vendors.map((v) => ({ value: v, label: state.overview.vendors[v].title || v }))], false);
  $("#journal-vendor").value = wanted.vendor;
  const operations = (wanted.vendor ? [wanted.vendor] : vendors).flatMap((v) =>
    (state.operations[v] || []).map((op) => ({ value: op.id, label: wanted.vendor ? op.id : `${v} · ${op.id}` })));
  fillSelect($("#journal-operation"), [{ value: "", label: "any operation" }, ...operations], false);
  $("#journal-operation").value = wanted.operation;
  $("#journal-verdict").value = wanted.verdict;
  const chip = $("#journal-run");
  chip.hidden = !wanted.run;
  if (wanted.run) {
    chip.replaceChildren(`run ${shortId(wanted.run)}`, h("button", { type: "button", title: "show every run",
      onclick: () => go("journal", { ...wanted, run: "" }) }, "✕"));
  }
  const query = new URLSearchParams(Object.entries({ ...wanted, limit: 200 }).filter(([, v]) => v));
  let entries;
  try {
    entries = (await get(`/journal?${query}`)).reverse();
    $("#journal-error").textContent = "";
  } catch (error) {
    $("#journal-error").textContent = error.message;
    entries = [];
  }
  const today = state.overview.clock.now;
  const signature = JSON.stringify(entries);
  if (signature === shown) return;
  shown = signature;
  $("#journal-summary").textContent = `${entries.length} request${entries.length === 1 ? "" : "s"}${entries.length === 200 ? " (latest)" : ""}`;
  $("#journal-empty").hidden = entries.length > 0;
  $("#journal-table").hidden = !entries.length;
  $("#journal-table tbody").replaceChildren(...entries.map((entry) => {
    const violates = entry.verdict === "violates";
    const problems = [...(entry.violations || []), ...(entry.response_problems || [])];
    const key = keyOf(entry);
    return h("tr", { class: `${violates ? "violation" : ""} ${key === selected ? "selected" : ""}`, dataset: { key, verdict: entry.verdict },
      onclick: (event) => { if (!event.target.closest("a")) openDrawer(entry, today); } },
      h("td", { class: "mono" }, clockTime(entry.time, today)),
      h("td", {}, h("div", {}, h("span", { class: "method" }, entry.method), h("span", { class: "path" }, entry.path)),
        problems.map((p) => h("div", { class: "rule" }, p))),
      h("td", {}, h("div", { class: "mono" }, entry.operation || "—"),
        h("div", { class: "run-meta" }, state.overview.vendors[entry.vendor]?.title || entry.vendor || "",
          entry.run ? [" · run ", h("a", { class: "run-id", href: `#runs?vendor=${entry.vendor}&run=${entry.run}`, title: entry.run }, shortId(entry.run))] : null)),
      h("td", {}, statusCell(entry.status)),
      h("td", {}, h("span", { class: `badge ${violates ? "bad" : "ok"}` }, entry.verdict)),
      h("td", {}, entry.fault ? h("span", { class: "badge warn" }, entry.fault) : ""),
      h("td", { class: "mono" }, entry.prefer || ""),
      h("td", { class: "num" }, `${Number(entry.duration_ms).toFixed(1)} ms`));
  }));
}
