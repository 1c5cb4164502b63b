// cwquery playground: the page asks the local JSON API about everything the pattern or the
// Logs Insights query means; nothing here parses or evaluates patterns or queries.
"use strict";

const $ = (id) => document.getElementById(id);
const DEBOUNCE_MS = 150;

const state = {
  lines: [],
  events: null, // per line, what the reader knew of its event (time, stream), or null
  rows: [],
  hits: new Uint8Array(0),
  valid: false,
  active: -1, // the row the keyboard is on
  chosen: -1, // the row being explained
  limits: { bytes: 8 * 1024 * 1024, lines: 50000 },
  token: "", // the server's token, sent with every request (/api/read needs it)
  tab: "pattern", // "pattern" or "insights"
};
const inflight = {};
let evaluateTimer = 0;
let evaluateSeq = 0;
let explainSeq = 0;
let queryTimer = 0;
let querySeq = 0;

// ------------------------------------------------------------------ talking to the server

async function post(path, body, kind, contentType) {
  if (inflight[kind]) inflight[kind].abort();
  const controller = new AbortController();
  inflight[kind] = controller;
  const isJson = contentType === undefined;
  const response = await fetch(path, {
    method: "POST",
    headers: {
      "Content-Type": isJson ? "application/json" : contentType,
      "X-CWQuery-Token": state.token,
    },
    body: isJson ? JSON.stringify(body) : body,
    signal: controller.signal,
  });
  let answer;
  try {
    answer = await response.json();
  } catch (err) {
    throw new Error(`the server answered ${response.status} without JSON`);
  }
  if (!response.ok) throw new Error(answer.error || `the server answered ${response.status}`);
  return answer;
}

function aborted(err) {
  return err && err.name === "AbortError";
}

// ------------------------------------------------------------------ the pattern

function metricSpec() {
  const value = $("metric-value").value;
  if (!value.trim()) return null;
  const dimensions = {};
  for (const row of document.querySelectorAll(".dimension")) {
    const name = row.querySelector(".dim-name").value.trim();
    if (name) dimensions[name] = row.querySelector(".dim-value").value;
  }
  const written = $("metric-default").value.trim();
  const number = written === "" ? null : Number(written);
  return { value, dimensions, defaultValue: Number.isFinite(number) ? number : null };
}

function schedule() {
  clearTimeout(evaluateTimer);
  evaluateTimer = setTimeout(evaluate, DEBOUNCE_MS);
}

async function evaluate() {
  clearTimeout(evaluateTimer);
  const seq = ++evaluateSeq;
  const body = { pattern: $("pattern").value, lines: state.lines, metric: metricSpec() };
  let answer;
  try {
    answer = await post("/api/match", body, "match");
  } catch (err) {
    if (aborted(err)) return;
    showStatus(`✖ Cannot check the pattern: ${err.message}`, "bad");
    return;
  }
  if (seq !== evaluateSeq) return;
  renderPattern(answer.pattern);
  applyHits(answer.pattern.valid ? answer.matched : []);
  renderCounts(answer);
  renderMetricSummary(answer);
  document.body.dataset.evaluated = body.pattern;
  document.body.dataset.evaluatedLines = String(answer.total);
  if (state.chosen >= 0) explainChosen();
}

function showStatus(text, kind) {
  const status = $("status");
  status.textContent = text;
  status.className = `status ${kind || ""}`;
}

function renderPattern(check) {
  const editor = $("pattern");
  const errorBox = $("error");
  const kind = $("kind");
  editor.classList.toggle("invalid", !check.valid);
  editor.setAttribute("aria-invalid", String(!check.valid));
  if (!check.valid) {
    const err = check.error;
    kind.textContent = "";
    showStatus(`✖ Invalid pattern (${err.code}) at line ${err.line}, column ${err.column}`, "bad");
    $("error-message").textContent = `${err.message} (line ${err.line}, column ${err.column})`;
    fillCaret($("error-caret"), err.caret);
    errorBox.dataset.column = String(err.column);
    errorBox.dataset.line = String(err.line);
    $("error-hint").textContent = err.hint ? `Hint: ${err.hint}` : "";
    errorBox.hidden = false;
    editor.setAttribute("aria-describedby", "error");
    $("canonical").hidden = true;
    renderWarnings([]);
    return;
  }
  errorBox.hidden = true;
  editor.removeAttribute("aria-describedby");
  kind.textContent = check.kind;
  kind.title = "pattern kind";
  const empty = check.kind === "match everything";
  showStatus(empty ? "✔ Empty pattern: it matches every event" : `✔ Valid ${check.kind} pattern`, "ok");
  $("canonical-text").textContent = check.canonical;
  $("use-canonical").disabled = check.canonical === editor.value;
  $("canonical").hidden = empty;
  renderWarnings(check.warnings);
}

function fillCaret(pre, caret) {
  pre.textContent = "";
  pre.append(document.createTextNode(caret[0] + "\n"));
  const mark = document.createElement("span");
  mark.className = "mark";
  mark.textContent = caret[1];
  pre.append(mark);
}

function renderWarnings(warnings) {
  const list = $("warnings");
  list.textContent = "";
  for (const warning of warnings) {
    const item = document.createElement("li");
    const where = warning.target ? `${warning.target}: ` : "";
    item.append(document.createTextNode(`⚠ ${where}${warning.message} `));
    const code = document.createElement("span");
    code.className = "code";
    code.textContent = `[${warning.code}]`;
    item.append(code);
    if (warning.caret) {
      const pre = document.createElement("pre");
      fillCaret(pre, warning.caret);
      item.append(pre);
    }
    if (warning.hint) {
      const hint = document.createElement("div");
      hint.className = "hint";
      hint.textContent = `Hint: ${warning.hint}`;
      item.append(hint);
    }
    list.append(item);
  }
  list.hidden = warnings.length === 0;
}

function renderCounts(answer) {
  const total = answer.total;
  const counts = $("counts");
  if (!answer.pattern.valid) {
    counts.textContent = `${plural(total, "line")}; fix the pattern to see matches`;
    return;
  }
  let text = `${answer.matched.length} of ${plural(total, "line")} match`;
  if (answer.notJson) text += `; ${plural(answer.notJson, "line")} not JSON`;
  counts.textContent = text;
}

function renderMetricSummary(answer) {
  const summary = $("metric-summary");
  const metric = answer.metric;
  const written = $("metric-default").value.trim();
  if (written !== "" && !Number.isFinite(Number(written))) {
    summary.textContent = `The default value “${written}” is not a number; it is left out.`;
  } else if (!answer.pattern.valid || !metric) {
    summary.textContent = "";
  } else if (metric.error) {
    summary.textContent = `The service would refuse this metric filter: ${metric.error}`;
  } else {
    summary.textContent =
      `The matching lines publish ${plural(metric.datapoints, "datapoint")}, sum ${metric.sum}.`;
  }
}

function plural(count, word) {
  return `${count.toLocaleString("en")} ${word}${count === 1 ? "" : "s"}`;
}

// ------------------------------------------------------------------ the sample lines

function setLines(lines, events) {
  state.lines = lines;
  state.events = Array.isArray(events) && events.length === lines.length ? events : null;
  state.hits = new Uint8Array(lines.length);
  state.active = lines.length ? 0 : -1;
  state.chosen = -1;
  renderLines();
  renderDetailEmpty();
  evaluate();
  if (state.tab === "insights") runQuery();
}

function renderLines() {
  const list = $("lines");
  const fragment = document.createDocumentFragment();
  const rows = new Array(state.lines.length);
  for (let i = 0; i < state.lines.length; i++) {
    const row = document.createElement("li");
    row.className = "line";
    row.id = `line-${i}`;
    row.setAttribute("role", "option");
    row.setAttribute("aria-selected", "false");
    row.dataset.index = String(i);
    const sym = document.createElement("span");
    sym.className = "sym";
    const num = document.createElement("span");
    num.className = "num";
    num.textContent = String(i + 1);
    const msg = document.createElement("span");
    msg.className = "msg";
    msg.textContent = state.lines[i];
    row.append(sym, num, msg);
    fragment.append(row);
    rows[i] = row;
  }
  list.textContent = "";
  list.append(fragment);
  state.rows = rows;
  markActive(state.active, false);
}

function applyHits(matched) {
  const hits = new Uint8Array(state.lines.length);
  for (const index of matched) hits[index] = 1;
  const before = state.hits;
  for (let i = 0; i < hits.length; i++) {
    if (hits[i] === before[i]) continue;
    const row = state.rows[i];
    row.classList.toggle("hit", hits[i] === 1);
    row.firstChild.textContent = hits[i] ? "✔" : "";
    row.title = hits[i] ? "matches" : "";
  }
  state.hits = hits;
}

function shown(index) {
  const mode = $("show").value;
  if (mode === "hits") return state.hits[index] === 1;
  if (mode === "misses") return state.hits[index] !== 1;
  return true;
}

function markActive(index, scroll = true) {
  const list = $("lines");
  if (state.active >= 0 && state.rows[state.active]) state.rows[state.active].classList.remove("active");
  state.active = index;
  const row = state.rows[index];
  if (!row) {
    list.removeAttribute("aria-activedescendant");
    return;
  }
  row.classList.add("active");
  list.setAttribute("aria-activedescendant", row.id);
  if (scroll) row.scrollIntoView({ block: "nearest" });
}

function choose(index) {
  if (index < 0 || index >= state.lines.length) return;
  if (state.chosen >= 0 && state.rows[state.chosen]) {
    state.rows[state.chosen].classList.remove("chosen");
    state.rows[state.chosen].setAttribute("aria-selected", "false");
  }
  state.chosen = index;
  state.rows[index].classList.add("chosen");
  state.rows[index].setAttribute("aria-selected", "true");
  markActive(index);
  explainChosen();
}

function step(from, delta) {
  let index = from;
  for (;;) {
    index += delta;
    if (index < 0 || index >= state.lines.length) return from;
    if (shown(index)) return index;
  }
}

function onListKey(event) {
  if (!state.lines.length) return;
  const current = state.active >= 0 ? state.active : 0;
  let next = null;
  switch (event.key) {
    case "ArrowDown": next = step(current, 1); break;
    case "ArrowUp": next = step(current, -1); break;
    case "PageDown": next = Array.from({ length: 10 }).reduce((i) => step(i, 1), current); break;
    case "PageUp": next = Array.from({ length: 10 }).reduce((i) => step(i, -1), current); break;
    case "Home": next = step(-1, 1); break;
    case "End": next = step(state.lines.length, -1); break;
    case "Enter":
    case " ":
      event.preventDefault();
      if (shown(current)) choose(current);
      return;
    default:
      return;
  }
  event.preventDefault();
  markActive(next);
}

async function readSample(name, body, contentType) {
  const error = $("sample-error");
  error.hidden = true;
  if (body.byteLength > state.limits.bytes) {
    showSampleError(`${name} is larger than ${state.limits.bytes / 1048576} MiB; use a smaller sample`);
    return false;
  }
  try {
    const answer = await post(`/api/read?name=${encodeURIComponent(name)}`, body, "read", contentType);
    setLines(answer.lines, answer.events);
    return true;
  } catch (err) {
    if (!aborted(err)) showSampleError(`Cannot read ${name}: ${err.message}`);
    return false;
  }
}

function showSampleError(text) {
  const error = $("sample-error");
  error.textContent = text;
  error.hidden = false;
}

// ------------------------------------------------------------------ one line explained

async function explainChosen() {
  const index = state.chosen;
  const seq = ++explainSeq;
  const body = {
    pattern: $("pattern").value,
    line: state.lines[index],
    number: index + 1,
    metric: metricSpec(),
  };
  let answer;
  try {
    answer = await post("/api/explain", body, "explain");
  } catch (err) {
    if (!aborted(err)) renderDetailMessage(`Cannot explain line ${index + 1}: ${err.message}`);
    return;
  }
  if (seq !== explainSeq) return;
  renderDetail(answer, index);
}

function renderDetailEmpty() {
  renderDetailMessage("Select a line to see why it matches or not.");
}

function renderDetailMessage(text) {
  const body = $("detail-body");
  body.textContent = "";
  body.append(element("p", text, "muted"));
}

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function renderDetail(answer, index) {
  const body = $("detail-body");
  body.textContent = "";
  body.dataset.line = String(index + 1);
  if (!answer.pattern.valid) {
    body.append(element("p", `Line ${index + 1}: fix the pattern to see why it matches or not.`, "muted"));
    return;
  }
  const verdict = answer.matched ? `✔ Line ${index + 1} matches` : `✖ Line ${index + 1} does not match`;
  body.append(element("p", verdict, `verdict ${answer.matched ? "yes" : "no"}`));
  body.append(element("pre", state.lines[index], "message-box"));

  const explanation = answer.explanation;
  body.append(element("h3", "Conditions"));
  if (explanation.notes.length) {
    const notes = element("ul", undefined, "notes");
    for (const note of explanation.notes) notes.append(element("li", note));
    body.append(notes);
  }
  if (explanation.checks.length) {
    const list = element("ul", undefined, "checks");
    for (const check of explanation.checks) list.append(renderCheck(check));
    body.append(list);
  } else if (!explanation.notes.length) {
    body.append(element("p", "No conditions.", "muted"));
  }

  if (answer.fields) body.append(...renderFields(answer.fields));

  body.append(element("h3", "TestMetricFilter record"));
  if (answer.testMetricFilter) {
    body.append(element("pre", JSON.stringify(answer.testMetricFilter, null, 2), "json"));
  } else {
    body.append(element("p", "None: TestMetricFilter lists only matching lines.", "muted"));
  }

  if (answer.datapoint) {
    body.append(element("h3", "Metric datapoint"));
    const point = answer.datapoint;
    let text;
    if (point.error) text = `The service would refuse this metric filter: ${point.error}`;
    else if (point.value === null) text = point.reason;
    else {
      const dims = Object.entries(point.dimensions).map(([k, v]) => `${k}=${v}`).join(", ");
      text = `value ${point.value}${dims ? `, dimensions ${dims}` : ", no dimensions"}`;
    }
    body.append(element("p", text, "datapoint"));
  }
}

function renderCheck(check) {
  const item = element("li");
  const outcome = check.result === null ? "ignored" : String(check.result);
  item.className = `check ${outcome}`;
  const symbol = { true: "✔ true", false: "✖ false", ignored: "– ignored" }[outcome];
  item.append(element("span", symbol, "res"), document.createTextNode(` ${check.condition}`));
  if (check.children) {
    const children = element("ul");
    for (const child of check.children) children.append(renderCheck(child));
    item.append(children);
  } else if (check.found) {
    item.append(element("span", ` — found ${check.found}`, "found"));
  }
  return item;
}

function renderFields(fields) {
  const title = element("h3", "Tokens and fields");
  if (!fields.length) return [title, element("p", "The line has no tokens.", "muted")];
  const table = element("table", undefined, "fields");
  const head = element("tr");
  for (const name of ["#", "token", "field"]) head.append(element("th", name));
  table.append(head);
  for (const token of fields) {
    const row = element("tr");
    let field;
    if (!token.assigned) field = "— (too few tokens)";
    else if (token.field === "...") field = "… (skipped)";
    else if (token.field) field = `$${token.field}`;
    else field = `$${token.position} (unnamed)`;
    row.append(element("td", String(token.position)), element("td", token.value), element("td", field));
    table.append(row);
  }
  return [title, table];
}

// ------------------------------------------------------------------ the Insights tab

function setTab(tab) {
  state.tab = tab;
  const insights = tab === "insights";
  $("pattern-pane").hidden = insights;
  $("detail").hidden = insights;
  $("insights-pane").hidden = !insights;
  $("results").hidden = !insights;
  for (const [id, on] of [["tab-pattern", !insights], ["tab-insights", insights]]) {
    $(id).setAttribute("aria-selected", String(on));
    $(id).tabIndex = on ? 0 : -1;
  }
  document.body.dataset.tab = tab;
  if (insights) runQuery();
}

function onTabKey(event) {
  if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
  event.preventDefault();
  const next = state.tab === "pattern" ? "insights" : "pattern";
  setTab(next);
  $(`tab-${next}`).focus();
}

function scheduleQuery() {
  clearTimeout(queryTimer);
  queryTimer = setTimeout(runQuery, DEBOUNCE_MS);
}

async function runQuery() {
  clearTimeout(queryTimer);
  const seq = ++querySeq;
  const body = { query: $("query").value, lines: state.lines };
  if (state.events) body.events = state.events;
  let answer;
  try {
    answer = await post("/api/insights", body, "insights");
  } catch (err) {
    if (aborted(err)) return;
    showQueryStatus(`✖ Cannot run the query: ${err.message}`, "bad");
    return;
  }
  if (seq !== querySeq) return;
  renderQuery(answer);
  document.body.dataset.queried = body.query;
  document.body.dataset.queriedLines = String(answer.total);
}

function showQueryStatus(text, kind) {
  const status = $("query-status");
  status.textContent = text;
  status.className = `status ${kind || ""}`;
}

function renderQuery(answer) {
  const editor = $("query");
  const check = answer.query;
  const errorBox = $("query-error");
  editor.classList.toggle("invalid", !check.valid);
  editor.setAttribute("aria-invalid", String(!check.valid));
  const canonical = $("query-canonical");
  if (check.canonical !== undefined) {
    $("query-canonical-text").textContent = check.canonical;
    $("use-query-canonical").disabled = check.canonical === editor.value;
    canonical.hidden = false;
  } else {
    canonical.hidden = true;
  }
  if (!check.valid) {
    const err = check.error;
    const what = err.code === "unsupported" ? "Not run locally" : "Invalid query";
    showQueryStatus(`✖ ${what} (${err.code}) at line ${err.line}, column ${err.column}`, "bad");
    $("query-error-message").textContent = `${err.message} (line ${err.line}, column ${err.column})`;
    fillCaret($("query-error-caret"), err.caret);
    errorBox.dataset.column = String(err.column);
    errorBox.dataset.line = String(err.line);
    $("query-error-hint").textContent = err.hint ? `Hint: ${err.hint}` : "";
    errorBox.hidden = false;
    editor.setAttribute("aria-describedby", "query-error");
    renderResults([], []);
    $("query-stats").textContent = "";
    return;
  }
  errorBox.hidden = true;
  editor.removeAttribute("aria-describedby");
  showQueryStatus("✔ Valid query", "ok");
  renderResults(answer.columns, answer.rows);
  const stats = answer.statistics;
  $("query-stats").textContent =
    `${plural(answer.rows.length, "row")}; ${plural(stats.recordsMatched, "record")} matched ` +
    `of ${plural(stats.recordsScanned, "record")} scanned, ${plural(stats.bytesScanned, "byte")} scanned`;
}

function renderResults(columns, rows) {
  const table = $("query-results");
  table.textContent = "";
  if (!rows.length) return;
  const head = element("tr");
  for (const name of columns) head.append(element("th", name));
  table.append(head);
  for (const row of rows) {
    const line = element("tr");
    for (const name of columns) {
      const value = row.cells[name];
      line.append(element("td", value === undefined ? "" : value));
    }
    if (row.line !== null) {
      line.dataset.line = String(row.line);
      line.title = `line ${row.line + 1}`;
    }
    table.append(line);
  }
}

// ------------------------------------------------------------------ share links

function toBase64Url(bytes) {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text) {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

async function transform(bytes, stream) {
  const piped = new Blob([bytes]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(piped).arrayBuffer());
}

function snapshot() {
  return {
    v: 1,
    pattern: $("pattern").value,
    query: $("query").value,
    tab: state.tab,
    lines: state.lines,
    events: state.events,
    metric: {
      value: $("metric-value").value,
      defaultValue: $("metric-default").value,
      dimensions: Array.from(document.querySelectorAll(".dimension"), (row) => [
        row.querySelector(".dim-name").value,
        row.querySelector(".dim-value").value,
      ]),
    },
  };
}

async function shareLink() {
  const json = new TextEncoder().encode(JSON.stringify(snapshot()));
  let fragment;
  if (typeof CompressionStream === "function") {
    fragment = "z=" + toBase64Url(await transform(json, new CompressionStream("deflate-raw")));
  } else {
    fragment = "j=" + toBase64Url(json);
  }
  history.replaceState(null, "", `#${fragment}`);
  const link = location.href;
  let copied = false;
  try {
    await navigator.clipboard.writeText(link);
    copied = true;
  } catch (err) {
    copied = false;
  }
  const size = plural(link.length, "character");
  $("share-status").textContent = copied
    ? `Link copied (${size}); it is also in the address bar.`
    : `The link is in the address bar (${size}); copy it from there.`;
  return link;
}

async function restore(fragment) {
  const kind = fragment.slice(0, 2);
  if (kind !== "z=" && kind !== "j=") return false;
  let data;
  try {
    let bytes = fromBase64Url(fragment.slice(2));
    if (kind === "z=") bytes = await transform(bytes, new DecompressionStream("deflate-raw"));
    data = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    $("share-status").textContent = "The link's saved state cannot be read.";
    return false;
  }
  if (!data || typeof data.pattern !== "string" || !Array.isArray(data.lines)) return false;
  $("pattern").value = data.pattern;
  const metric = data.metric || {};
  $("metric-value").value = metric.value || "";
  $("metric-default").value = metric.defaultValue || "";
  const rows = document.querySelectorAll(".dimension");
  (metric.dimensions || []).slice(0, rows.length).forEach(([name, value], i) => {
    rows[i].querySelector(".dim-name").value = name || "";
    rows[i].querySelector(".dim-value").value = value || "";
  });
  if (metric.value) $("metric").open = true;
  $("query").value = typeof data.query === "string" ? data.query : "";
  setTab(data.tab === "insights" ? "insights" : "pattern");
  const lines = data.lines.filter((line) => typeof line === "string");
  setLines(lines, lines.length === data.lines.length ? data.events : null);
  return true;
}

// ------------------------------------------------------------------ start

async function start() {
  $("pattern").addEventListener("input", schedule);
  for (const input of document.querySelectorAll("#metric input")) input.addEventListener("input", schedule);
  $("use-canonical").addEventListener("click", () => {
    $("pattern").value = $("canonical-text").textContent;
    evaluate();
  });
  $("share").addEventListener("click", shareLink);
  $("tab-pattern").addEventListener("click", () => setTab("pattern"));
  $("tab-insights").addEventListener("click", () => setTab("insights"));
  for (const id of ["tab-pattern", "tab-insights"]) $(id).addEventListener("keydown", onTabKey);
  $("query").addEventListener("input", scheduleQuery);
  $("use-query-canonical").addEventListener("click", () => {
    $("query").value = $("query-canonical-text").textContent;
    runQuery();
  });
  $("query-results").addEventListener("click", (event) => {
    const row = event.target.closest("tr[data-line]");
    if (row) markActive(Number(row.dataset.line));
  });
  $("lines").addEventListener("click", (event) => {
    const row = event.target.closest(".line");
    if (row) choose(Number(row.dataset.index));
  });
  $("lines").addEventListener("keydown", onListKey);
  $("show").addEventListener("change", () => {
    const list = $("lines");
    list.classList.toggle("only-hits", $("show").value === "hits");
    list.classList.toggle("only-misses", $("show").value === "misses");
  });
  $("clear").addEventListener("click", () => setLines([]));
  $("paste-toggle").addEventListener("click", () => togglePaste(true));
  $("paste-cancel").addEventListener("click", () => togglePaste(false));
  $("paste-use").addEventListener("click", async () => {
    const bytes = new TextEncoder().encode($("paste-text").value);
    if (await readSample("pasted text", bytes, "text/plain; charset=utf-8")) togglePaste(false);
  });
  $("upload").addEventListener("change", async () => {
    const file = $("upload").files[0];
    if (!file) return;
    if (file.size > state.limits.bytes) {
      showSampleError(`${file.name} is larger than ${state.limits.bytes / 1048576} MiB; use a smaller sample`);
    } else {
      await readSample(file.name, new Uint8Array(await file.arrayBuffer()), "application/octet-stream");
    }
    $("upload").value = "";
  });
  window.addEventListener("hashchange", () => restore(location.hash.slice(1)));

  let initial = { lines: [], sources: [] };
  try {
    const response = await fetch("/api/samples");
    initial = await response.json();
    if (initial.limits) state.limits = initial.limits;
    state.token = initial.token || "";
  } catch (err) {
    showSampleError(`Cannot load the sample files: ${err.message}`);
  }
  if (!(await restore(location.hash.slice(1)))) {
    setLines(initial.lines || [], initial.events);
    if (initial.sources && initial.sources.length) {
      $("share-status").textContent = `Loaded ${initial.sources.map((s) => s.name).join(", ")}.`;
    }
  }
  document.body.dataset.ready = "true";
}

function togglePaste(open) {
  $("paste").hidden = !open;
  $("paste-toggle").setAttribute("aria-expanded", String(open));
  if (open) $("paste-text").focus();
}

start();
