// Any JSON value as a tree: objects and arrays collapse, so new fields show without new code.

import { h } from "./dom.js";

function leafValue(value) {
  if (value === null) return h("span", { class: "null" }, "null");
  if (typeof value === "string") return h("span", { class: "str" }, JSON.stringify(value));
  if (typeof value === "number") return h("span", { class: "num" }, String(value));
  if (typeof value === "boolean") return h("span", { class: "bool" }, String(value));
  return h("span", {}, String(value));
}

function isBranch(value) {
  return value !== null && typeof value === "object";
}

function size(value) {
  const count = Array.isArray(value) ? value.length : Object.keys(value).length;
  return Array.isArray(value) ? `[${count}]` : `{${count}}`;
}

export function jsonTree(value, { depth = 0, openDepth = 2, label = null } = {}) {
  const key = label === null ? null : h("span", { class: "key" }, `${label}: `);
  if (!isBranch(value)) return h("div", { class: "leaf" }, key, leafValue(value));
  const entries = Array.isArray(value) ? value.map((item, index) => [index, item]) : Object.entries(value);
  const node = h("details", { open: depth < openDepth },
    h("summary", {}, key, h("span", { class: "size" }, size(value))));
  for (const [name, item] of entries) {
    node.append(jsonTree(item, { depth: depth + 1, openDepth, label: String(name) }));
  }
  return node;
}

export function tree(value, options) {
  return h("div", { class: "tree" }, jsonTree(value, options));
}
