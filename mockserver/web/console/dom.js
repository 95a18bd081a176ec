// Small DOM helpers: element building, mock-time formatting, badges and form errors.

export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") element.className = value;
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

const pad = (n) => String(n).padStart(2, "0");

// Mock time (epoch seconds) as a wall-clock time; the date too when it is not `today`'s.
export function clockTime(seconds, today) {
  if (seconds === null || seconds === undefined) return "–";
  const moment = new Date(seconds * 1000);
  const time = `${pad(moment.getHours())}:${pad(moment.getMinutes())}:${pad(moment.getSeconds())}`;
  const reference = today === undefined ? null : new Date(today * 1000);
  if (reference && reference.toDateString() === moment.toDateString()) return time;
  const date = moment.toLocaleDateString(undefined, { month: "short", day: "numeric" });
  return reference ? `${date} ${time}` : `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())} ${time}`;
}

export function stateBadge(state, lifecycle) {
  let tone = "live";
  if (lifecycle && lifecycle.terminal.includes(state)) {
    tone = state === lifecycle.success ? "ok" : "bad";
  }
  return h("span", { class: `badge ${tone}`, dataset: { state } }, state);
}

export function statusCell(status) {
  return h("span", { class: `status s${String(status)[0]}` }, status);
}

export function shortId(id) {
  return id.length > 13 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id;
}

// Show an ApiError on a form: each field's message next to it, the rest at the form's foot.
export function showErrors(form, error) {
  clearErrors(form);
  const fields = error.fields || {};
  let unplaced = Object.keys(fields).length ? "" : error.message;
  for (const [field, message] of Object.entries(fields)) {
    const slot = form.querySelector(`[data-error-for="${field}"]`);
    const input = form.querySelector(`[name="${field}"]`);
    if (input) input.classList.add("invalid");
    if (slot && field !== "form") slot.textContent = message;
    else unplaced = unplaced ? `${unplaced}; ${field}: ${message}` : `${field}: ${message}`;
  }
  const foot = form.querySelector('[data-error-for="form"]');
  if (foot) foot.textContent = unplaced;
}

export function clearErrors(form) {
  for (const slot of form.querySelectorAll("[data-error-for]")) slot.textContent = "";
  for (const input of form.querySelectorAll(".invalid")) input.classList.remove("invalid");
  const ok = form.querySelector("[data-ok]");
  if (ok) ok.textContent = "";
}

// A typed number as the API should judge it: a number when it parses, else the raw text.
export function numberOrText(value) {
  if (value === "") return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : value;
}

// Replace a select's options (not while someone is choosing in it), keeping its choice if it can.
export function fillSelect(select, options, keep = true) {
  if (document.activeElement === select) return;
  const previous = select.value;
  select.replaceChildren(...options.map((option) =>
    option instanceof Node ? option : h("option", { value: option.value }, option.label)));
  if (keep && [...select.querySelectorAll("option")].some((o) => o.value === previous)) {
    select.value = previous;
  }
}
