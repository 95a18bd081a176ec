// The console: hash routing between pages and a refresh every two seconds while it is visible.

import { ApiError, get } from "./api.js";
import { $, $$, clockTime } from "./dom.js";
import * as overview from "./overview.js";
import * as runs from "./runs.js";
import * as faults from "./faults.js";
import * as journal from "./journal.js";

const PAGES = { overview, runs, faults, journal };
const REFRESH_MS = 2000;

// What every page reads: the overview (vendors, clock), and each vendor's operations and
// lifecycles, fetched once.
const state = { overview: null, operations: {}, lifecycles: {}, counts: {} };

function route() {
  const [page, query] = location.hash.replace(/^#/, "").split("?");
  return { page: PAGES[page] ? page : "overview", params: new URLSearchParams(query || "") };
}

function go(page, params = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v)).toString();
  const hash = `#${page}${query ? `?${query}` : ""}`;
  if (location.hash !== hash) location.hash = hash;
  else refresh();
}

async function loadVendors() {
  state.overview = await get("/");
  const names = Object.keys(state.overview.vendors);
  await Promise.all(names.map(async (name) => {
    if (!state.operations[name]) state.operations[name] = await get(`/vendors/${name}/operations`);
    if (!state.lifecycles[name]) state.lifecycles[name] = await get(`/vendors/${name}/lifecycles`);
  }));
}

function showLive(ok, message) {
  const live = $("#live");
  live.classList.toggle("down", !ok);
  live.classList.toggle("paused", ok && document.hidden);
  $("#live-text").textContent = message;
}

function showCounts(summary) {
  const violations = summary.journal.violations;
  state.counts = { runs: summary.runs.total, live: summary.runs.live, faults: summary.faults, violations };
  $("#count-runs").textContent = summary.runs.total || "";
  $("#count-faults").textContent = summary.faults || "";
  $("#count-violations").textContent = violations || "";
  const clock = state.overview.clock;
  state.offset = clock.now - Date.now() / 1000;
  tick();
}

// The mock's time between refreshes: a running clock keeps its offset from real time.
function mockNow() {
  const clock = state.overview.clock;
  return clock.frozen ? clock.now : Date.now() / 1000 + state.offset;
}

function tick() {
  if (!state.overview) return;
  const frozen = state.overview.clock.frozen;
  $("#clock-mini").replaceChildren(
    document.createTextNode(clockTime(mockNow())),
    Object.assign(document.createElement("small"), {
      textContent: frozen ? "mock time · frozen" : "mock time · running",
    }));
  const big = $("#clock-time");
  if (big) big.textContent = clockTime(mockNow());
}

let refreshing = null;
let again = false;

async function refreshOnce() {
  const { page, params } = route();
  for (const link of $$(".nav a")) link.classList.toggle("active", link.dataset.page === page);
  for (const name of Object.keys(PAGES)) $(`#page-${name}`).hidden = name !== page;
  document.title = `${page[0].toUpperCase()}${page.slice(1)} · Mock console`;
  try {
    await loadVendors();
    showCounts(await get("/summary"));
    await PAGES[page].render({ state, params, refresh, go });
    showLive(true, document.hidden ? "paused" : "live · every 2 s");
  } catch (error) {
    showLive(false, error instanceof ApiError ? error.message : "offline");
    if (!(error instanceof ApiError)) console.error(error);
  }
}

// Fetch and draw the current page; a call made while one is under way runs once more after it,
// so what an action changed is always drawn.
function refresh() {
  if (refreshing) {
    again = true;
    return refreshing;
  }
  refreshing = (async () => {
    do {
      again = false;
      await refreshOnce();
    } while (again);
    refreshing = null;
  })();
  return refreshing;
}

function start() {
  for (const page of Object.values(PAGES)) page.setup({ state, refresh, go, route });
  window.addEventListener("hashchange", refresh);
  document.addEventListener("visibilitychange", () => { if (!document.hidden) refresh(); });
  // A tick skips while a refresh is still under way: a slow mock is not asked twice as often.
  setInterval(() => { if (!document.hidden && !refreshing) refresh(); }, REFRESH_MS);
  setInterval(tick, 1000);
  refresh();
}

start();
