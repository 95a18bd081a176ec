// Overview: the vendors served, the clock with advance / freeze / resume, and a reset.

import { post } from "./api.js";
import { $, clearErrors, clockTime, h, numberOrText, showErrors } from "./dom.js";

function credentials(creds) {
  const lines = [];
  for (const [id, secret] of Object.entries(creds.clients || {})) {
    lines.push(h("span", { class: "cred" }, "client_id ", h("code", {}, id), " · secret ", h("code", {}, secret)));
  }
  for (const key of creds.keys || []) {
    lines.push(h("span", { class: "cred" }, "Bearer ", h("code", {}, key)));
  }
  return lines;
}

// A length of time in words: "1 h", "2 d 3 h", "45 s".
function duration(seconds) {
  const units = [[86400, "d"], [3600, "h"], [60, "min"], [1, "s"]];
  const parts = [];
  let rest = Math.round(Math.abs(seconds));
  for (const [unit, name] of units) {
    if (rest >= unit && parts.length < 2) { parts.push(`${Math.floor(rest / unit)} ${name}`); rest %= unit; }
  }
  return parts.join(" ") || "0 s";
}

// How far the mock's clock is from real time, in words.
function offset(seconds) {
  if (Math.abs(seconds) < 1) return "in step with real time";
  return `${duration(seconds)} ${seconds > 0 ? "ahead of" : "behind"} real time`;
}

function stat(value, label, tone = "") {
  return h("div", { class: `stat ${tone}` }, h("div", { class: "value" }, value), h("div", { class: "label" }, label));
}

export function setup({ refresh }) {
  const form = $("#advance-form");
  const advance = async (seconds) => {
    clearErrors(form);
    try {
      await post("/clock/advance", { seconds });
      await refresh();
    } catch (error) {
      showErrors(form, error);
    }
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    advance(numberOrText(form.elements.seconds.value) ?? "");
  });
  for (const button of form.querySelectorAll("[data-advance]")) {
    button.addEventListener("click", () => advance(Number(button.dataset.advance)));
  }
  const clockAction = (path) => async () => {
    clearErrors(form);
    try { await post(path); await refresh(); } catch (error) { showErrors(form, error); }
  };
  $("#freeze").addEventListener("click", clockAction("/clock/freeze"));
  $("#resume").addEventListener("click", clockAction("/clock/resume"));

  const confirm = $("#reset-confirm");
  $("#reset").addEventListener("click", () => { confirm.hidden = false; });
  $("#reset-no").addEventListener("click", () => { confirm.hidden = true; });
  $("#reset-yes").addEventListener("click", async () => {
    $("#reset-error").textContent = "";
    try {
      await post("/reset");
      confirm.hidden = true;
      await refresh();
    } catch (error) {
      $("#reset-error").textContent = error.message;
    }
  });
}

export async function render({ state }) {
  const { vendors, clock } = state.overview;
  const rows = Object.entries(vendors).map(([name, vendor]) => h("tr", { dataset: { vendor: name } },
    h("td", {}, h("div", { class: "vendor-title" }, vendor.title || name), h("div", { class: "muted mono" }, name)),
    h("td", {}, h("code", {}, vendor.base_url)),
    h("td", {}, credentials(vendor.credentials), vendor.token_lifetime_seconds
      ? h("div", { class: "run-meta" }, `tokens live ${duration(vendor.token_lifetime_seconds)}`) : null),
    h("td", {}, h("a", { href: vendor.docs, target: "_blank", rel: "noopener" }, "API docs"), " · ",
      h("a", { href: vendor.openapi, target: "_blank", rel: "noopener" }, "openapi.json"))));
  $("#vendors-table tbody").replaceChildren(...rows);

  const counts = state.counts;
  $("#stats").replaceChildren(
    stat(Object.keys(vendors).length, "vendors served"),
    stat(`${counts.live} / ${counts.runs}`, "runs live / all"),
    stat(counts.faults, "active fault rules", counts.faults ? "bad" : ""),
    stat(counts.violations, "requests that broke the contract", counts.violations ? "bad" : ""));

  const badge = $("#clock-state");
  badge.textContent = clock.frozen ? "frozen" : "running";
  badge.className = `badge ${clock.frozen ? "warn" : "ok"}`;
  const lifetimes = Object.values(vendors).map((v) => v.token_lifetime_seconds).filter(Boolean);
  const expire = $("#expire-tokens");
  expire.hidden = !lifetimes.length;
  if (lifetimes.length) {
    expire.dataset.advance = Math.max(...lifetimes);
    expire.textContent = `Expire tokens (+${duration(Math.max(...lifetimes))})`;
  }
  $("#clock-offset").textContent = offset(clock.now - Date.now() / 1000);
  $("#freeze").disabled = clock.frozen;
  $("#resume").disabled = !clock.frozen;
}
