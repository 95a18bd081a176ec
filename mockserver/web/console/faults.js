// Faults: the active rules, one removed at a time, and a form that adds one on an operation
// chosen from the vendor's contract.

import { del, get, post } from "./api.js";
import { $, clearErrors, fillSelect, h, numberOrText, showErrors } from "./dom.js";

function operationOptions(state, vendor) {
  const any = { value: "", label: "any operation" };
  if (!vendor) return [any];
  return [any, ...(state.operations[vendor] || []).map((op) => ({
    value: op.id, label: `${op.method} ${op.path} — ${op.id}`,
  }))];
}

let shown = "";

export function setup({ state, refresh }) {
  const form = $("#fault-form");
  form.elements.vendor.addEventListener("change", () => {
    fillSelect(form.elements.operation, operationOptions(state, form.elements.vendor.value));
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const fields = form.elements;
    const body = {
      kinds: [...form.querySelectorAll('input[name="kinds"]:checked')].map((box) => box.value),
      vendor: fields.vendor.value || null,
      operation: fields.operation.value || null,
      after: numberOrText(fields.after.value),
      times: numberOrText(fields.times.value) ?? null,
      rate: numberOrText(fields.rate.value),
      retry_after: numberOrText(fields.retry_after.value),
      latency_ms: numberOrText(fields.latency_ms.value),
    };
    try {
      await post("/faults", body);
      form.querySelector("[data-ok]").textContent = "Rule added.";
      shown = "";
      await refresh();
    } catch (error) {
      showErrors(form, error);
    }
  });
}

async function remove(index, refresh) {
  $("#faults-error").textContent = "";
  try {
    await del(`/faults/${index}`);
    shown = "";
    await refresh();
  } catch (error) {
    $("#faults-error").textContent = error.message;
  }
}

export async function render({ state, refresh }) {
  const form = $("#fault-form");
  if (!form.elements.vendor.options.length) {
    fillSelect(form.elements.vendor, [{ value: "", label: "any vendor" },
      ...Object.keys(state.overview.vendors).map((v) => ({ value: v, label: state.overview.vendors[v].title || v }))]);
    fillSelect(form.elements.operation, operationOptions(state, form.elements.vendor.value));
  }
  const faults = await get("/faults");
  const signature = JSON.stringify(faults);
  if (signature === shown) return;
  shown = signature;
  $("#faults-empty").hidden = faults.length > 0;
  $("#faults-table").hidden = !faults.length;
  $("#faults-table tbody").replaceChildren(...faults.map((rule, index) => h("tr", { dataset: { index } },
    h("td", { class: "num" }, index),
    h("td", {}, rule.vendor || h("span", { class: "muted" }, "any")),
    h("td", { class: "mono" }, rule.operation || h("span", { class: "muted" }, "any")),
    h("td", {}, rule.kinds.map((kind) => h("span", { class: "badge bad" }, kind)).flatMap((b) => [b, " "])),
    h("td", { class: "num" }, rule.after),
    h("td", { class: "num" }, rule.times ?? "∞"),
    h("td", { class: "num" }, rule.rate),
    h("td", { class: "num" }, `${rule.retry_after} s`),
    h("td", { class: "num" }, `${rule.latency_ms} ms`),
    h("td", { class: "num", dataset: { fired: rule.fired } }, `${rule.fired} / ${rule.seen}`,
      rule.times !== null && rule.fired >= rule.times ? h("div", { class: "run-meta" }, "spent") : null),
    h("td", {}, h("button", { class: "btn small danger", type: "button", onclick: () => remove(index, refresh) }, "Remove")))));
}
