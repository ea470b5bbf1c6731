// Shared by every part of the page: state, the API client, tables, dates, jobs and downloads.

export const state = { token: sessionStorage.getItem("lift-token") || "", me: null, scenario: null, detail: null };
export const $ = (selector) => document.querySelector(selector);

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    node.append(child instanceof Node ? child : document.createTextNode(child ?? ""));
  }
  return node;
}

export class ApiError extends Error {
  constructor(status, body) {
    super(ApiError.describe(status, body));
    this.status = status;
    this.body = body;
  }
  // The service's words: each invalid field's plain message (its name, what it expects and how to
  // write it), or the sentence it answered with.
  static describe(status, body) {
    const detail = body && body.detail;
    if (Array.isArray(detail)) {
      return detail.map((e) => e.message || `${fieldName(e.loc)}: ${e.msg}`).join("\n");
    }
    return detail || `The service could not do this (error ${status}).`;
  }
}

// A field's name for people, from an error's path (["body", "agreed_on"] -> "Agreed on").
function fieldName(loc) {
  const named = (loc || []).filter((p) => typeof p === "string" && !["body", "query", "path"].includes(p));
  const last = named.length ? named[named.length - 1] : "request";
  return last.charAt(0).toUpperCase() + last.slice(1).replaceAll("_", " ");
}

// A call of the service with the signed-in user's token. A 401 signs out, unless the user has
// signed out or in again since the call was made (its answer is then stale and is dropped).
export async function api(path, options = {}) {
  const token = state.token;
  const headers = Object.assign({ Authorization: `Bearer ${token}` }, options.headers || {});
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(options.json);
  }
  const response = await fetch(path, { method: options.method || "GET", headers, body: options.body });
  if (token !== state.token) throw new ApiError(401, { detail: "signed out since this was asked" });
  if (response.status === 401 && path !== "/api/me") hooks.signedOut();
  if (options.raw) {
    if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
    return response;
  }
  const body = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

export const scenarioPath = (rest) => `/api/scenarios/${state.scenario}/${rest}`;
export const district = () => $("#district").value;
export const withDistrict = (path) => (district() ? `${path}${path.includes("?") ? "&" : "?"}district=${encodeURIComponent(district())}` : path);
export const isCounty = () => state.me && state.me.district === null;
export const canPlan = () => state.me && state.me.role !== "viewer";

export function cell(value) {
  return value instanceof Node ? value : String(value ?? "");
}

// A table in a box of its own that scrolls sideways when it is wider than the screen.
export function table(columns, rows, empty = "Nothing yet.") {
  if (!rows.length) return el("p", { class: "empty" }, empty);
  return el(
    "div",
    { class: "scroll", tabindex: "0" },
    el(
      "table",
      { class: "grid" },
      el("thead", {}, el("tr", {}, columns.map(([label]) => el("th", {}, label)))),
      el("tbody", {}, rows.map((row) => el("tr", {}, columns.map(([, get]) => el("td", {}, cell(get(row))))))),
    ),
  );
}

// Dates as people here write them: dd/mm/yyyy.
export function dmy(iso) {
  if (!iso) return "";
  const [y, m, d] = String(iso).slice(0, 10).split("-");
  return `${d}/${m}/${y}`;
}

// Every ISO date (yyyy-mm-dd) in a text, written dd/mm/yyyy.
export function datesInWords(text) {
  return String(text ?? "").replace(/\b(\d{4})-(\d{2})-(\d{2})\b/g, "$3/$2/$1");
}

// A typed date as ISO (yyyy-mm-dd), or null when it is not a real date. Accepts dd/mm/yyyy, d/m/yyyy
// (also with - or . between) and yyyy-mm-dd.
export function isoOf(text) {
  const value = String(text ?? "").trim();
  let d, m, y;
  let found = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(value);
  if (found) [, d, m, y] = found;
  else {
    found = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(value);
    if (!found) return null;
    [, y, m, d] = found;
  }
  const day = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  if (day.getUTCFullYear() !== Number(y) || day.getUTCMonth() !== Number(m) - 1 || day.getUTCDate() !== Number(d)) return null;
  return `${y}-${m.padStart(2, "0")}-${d.padStart(2, "0")}`;
}

export const DATE_HINT = "a date written dd/mm/yyyy, e.g. 21/11/2025";

// A date input: a text field shown dd/mm/yyyy that takes dd/mm/yyyy or yyyy-mm-dd; on leaving it,
// a date it cannot read is flagged with the expected format, a readable one is shown dd/mm/yyyy.
export function dateField(value = "", attrs = {}) {
  const input = el("input", { type: "text", inputmode: "numeric", autocomplete: "off", placeholder: "dd/mm/yyyy", ...attrs });
  input.value = isoOf(value) ? dmy(isoOf(value)) : value;
  watchDate(input);
  return input;
}

// Give an existing text input dateField's behaviour (for inputs written in a template).
export function watchDate(input) {
  input.addEventListener("change", () => {
    const iso = isoOf(input.value);
    if (input.value.trim() && !iso) {
      input.setCustomValidity(`Write ${DATE_HINT}.`);
      input.setAttribute("aria-invalid", "true");
      input.reportValidity();
    } else {
      input.setCustomValidity("");
      input.removeAttribute("aria-invalid");
      if (iso) input.value = dmy(iso);
    }
  });
  return input;
}

// The ISO date typed in `input`, or an Error naming the field and the expected format.
export function dateOf(input, name) {
  const iso = isoOf(input.value);
  if (!iso) throw new Error(`${name}: ${DATE_HINT}.`);
  return iso;
}

export function todayDmy() {
  const now = new Date();
  const two = (n) => String(n).padStart(2, "0");
  return `${two(now.getDate())}/${two(now.getMonth() + 1)}/${now.getFullYear()}`;
}

// What other parts do when something changes; each part registers its own view under its name.
export const hooks = { signedOut: () => {} };
const views = new Map();

export function registerView(name, show) {
  views.set(name, show);
}

// Show again the named parts of the page (all of them without names).
// A view that fails says so in the console (prefixed "LIFT:", which the browser tests watch);
// one whose user signed out meanwhile stays quiet.
export async function refresh(...names) {
  const shown = names.length ? names : [...views.keys()];
  await Promise.all(shown.map(async (name) => {
    try {
      await (views.get(name) || (async () => {}))();
    } catch (error) {
      if (error.status !== 401) console.error(`LIFT: the ${name} view failed: ${error.message}`);
    }
  }));
}

// Jobs ---------------------------------------------------------------------------------------

export async function runJob(path, body, box) {
  const target = $(box);
  target.replaceChildren(el("progress", { max: "1", value: "0" }), el("span", { class: "stage" }, "queued"));
  let job;
  try {
    job = await api(scenarioPath(path), { method: "POST", json: body });
  } catch (error) {
    target.replaceChildren(el("p", { class: "error" }, error.message));
    return null;
  }
  const cancel = el("button", { type: "button", onclick: () => api(`/api/jobs/${job.id}/cancel`, { method: "POST" }).catch(() => {}) }, "Cancel");
  target.append(cancel);
  while (job.status === "queued" || job.status === "running") {
    await new Promise((resolve) => setTimeout(resolve, 400));
    job = await api(`/api/jobs/${job.id}`);
    target.querySelector("progress").value = job.progress;
    target.querySelector(".stage").textContent = progressWords(job);
  }
  cancel.remove();
  target.querySelector(".stage").textContent = job.status;
  target.append(el("p", { class: job.status === "succeeded" ? "summary" : "error" }, job.message));
  target.dataset.status = job.status;
  await refresh("jobs");
  return job;
}

// A job's progress in words: "running, 40%: placed 120 of 155 cases; shortening waits (step 2 of
// 4), about 12 s left".
export function progressWords(job) {
  if (job.status === "queued") return "waiting to start";
  const left = job.seconds_left == null ? "" : `, about ${Math.max(1, Math.round(job.seconds_left))} s left`;
  const stage = job.stage ? `: ${job.stage}` : ": starting";
  return `${job.status}, ${Math.round(job.progress * 100)}%${stage}${left}`;
}

// Downloads ----------------------------------------------------------------------------------

export async function download(path, fallback) {
  try {
    const response = await api(path, { raw: true });
    const given = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
    const link = el("a", { href: URL.createObjectURL(await response.blob()), download: given ? given[1] : fallback });
    document.body.append(link);
    link.click();
    link.remove();
  } catch (error) {
    alert(error.message);
  }
}
