// The serve page's script (ServePage inlines it into serve-page.html): the feature browser, live
// encoding and the row view, all over the JSON API of docs/SERVE.md. Text from the store is only
// ever set as textContent, never parsed as HTML.
"use strict";
const params = new URLSearchParams(location.search);
// A server started with --token needs it on every request; the page takes it from its own
// address (?access_token=T, the name RFC 6750 gives it) and sends it as a bearer token.
const token = params.get("access_token");
const state = { info: null, q: "", offset: 0, selected: null };
const $ = (id) => document.getElementById(id);

async function api(path, body) {
  const options = { headers: {} };
  if (token) options.headers["Authorization"] = "Bearer " + token;
  if (body !== undefined) { options.method = "POST"; options.headers["Content-Type"] = "application/json"; options.body = JSON.stringify(body); }
  const response = await fetch(path, options);
  const data = await response.json();
  if (!response.ok) throw new Error((data.error && data.error.message) || ("HTTP " + response.status));
  return data;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function shade(value, max) {
  const a = max > 0 ? Math.min(1, Math.max(0, value / max)) : 0;
  return a > 0 ? "rgba(255,120,0," + (0.1 + 0.8 * a).toFixed(3) + ")" : "transparent";
}

function shown(text) { return text === "" ? "⟨bos⟩" : text.replace(/\n/g, "↵\n"); }

function fmt(x) { return String(Number(Number(x).toPrecision(4))); }

async function loadInfo() {
  const info = await api("/info");
  state.info = info;
  const parts = [info.store, info.rowCount + " rows", info.documentCount + " documents"];
  if (info.column) parts.push(info.column);
  if (info.liveFeatureCount !== null && info.liveFeatureCount !== undefined) parts.push(info.liveFeatureCount + " live features");
  $("info").textContent = parts.join(" · ");
  if (!info.sae) { $("text").disabled = true; $("encodeStatus").textContent = "live encoding needs --sae and --model"; }
  if (!info.features) { $("q").disabled = true; $("count").textContent = "the feature browser needs --features DIR"; }
}

async function loadFeatures(append) {
  if (!state.info.features) return;
  if (!append) { state.offset = 0; $("features").replaceChildren(); }
  const page = await api("/features?limit=50&offset=" + state.offset + "&q=" + encodeURIComponent(state.q));
  $("count").textContent = page.total + " features" + (state.q ? " matching" : "") + ", most frequent first";
  for (const f of page.features) {
    const li = el("li");
    li.dataset.feature = f.feature;
    const left = el("span");
    left.append(el("span", "fid", "#" + f.feature), document.createTextNode(" " + f.topTokens.map((t) => JSON.stringify(t)).join(" ")));
    li.append(left, el("span", "muted", (100 * f.frequency).toPrecision(2) + "%"));
    li.addEventListener("click", () => openFeature(f.feature));
    $("features").append(li);
  }
  state.offset += page.features.length;
  $("more").hidden = state.offset >= page.total;
}

function exampleNode(example) {
  const box = el("div", "example");
  const max = Math.max(...example.tokens.map((t) => t.activation), 1e-9);
  const line = el("div", "toks");
  example.tokens.forEach((t, i) => {
    const span = el("span", "tok" + (i === example.centerIndex ? " center" : ""), shown(t.text));
    span.style.background = shade(t.activation, max);
    span.title = "row " + t.row + " · " + fmt(t.activation);
    line.append(span);
  });
  const where = example.document === null || example.document === undefined ? "bare row" : "doc " + example.document + " token " + example.tokenIndex;
  box.append(el("div", "muted", fmt(example.activation) + " · row " + example.row + " · " + where), line);
  box.addEventListener("click", () => openRow(example.row));
  return box;
}

async function openFeature(id) {
  state.selected = id;
  for (const li of $("features").children) li.classList.toggle("on", Number(li.dataset.feature) === id);
  const d = await api("/features/" + id + "?quantiles=false");
  const box = $("feature");
  box.replaceChildren(el("h2", "", "Feature " + d.feature));
  box.dataset.feature = d.feature;
  box.append(el("div", "muted", "fires on " + (100 * d.frequency).toPrecision(3) + "% of rows (" + d.fireCount + " of " + d.rowsScanned +
    "), mean " + fmt(d.meanActivation) + ", max " + fmt(d.maxActivation)));
  if (d.promotedTokens) {
    box.append(el("div", "muted", "promotes " + d.promotedTokens.slice(0, 8).map((t) => JSON.stringify(t.text)).join(" ")));
  }
  const list = el("div");
  list.id = "examples";
  for (const example of d.topExamples) list.append(exampleNode(example));
  box.append(el("h2", "", "Top examples"), list);
  if (state.info.postings) {
    const rows = await api("/features/" + id + "/rows?limit=10&window=6");
    box.append(el("h2", "", "Rows where it fires (" + rows.total + ")"));
    for (const hit of rows.rows) {
      const c = hit.context;
      const row = el("div", "example toks");
      if (c) { row.append(document.createTextNode(c.before), el("span", "tok center", shown(c.token)), document.createTextNode(c.after)); }
      row.prepend(el("span", "muted", fmt(hit.activation) + "  "));
      row.addEventListener("click", () => openRow(hit.row));
      box.append(row);
    }
  }
}

async function openRow(row) {
  const c = await api("/rows/" + row + "?window=" + Math.min(32, state.info.limits.maxWindow));
  const box = $("context");
  box.replaceChildren(el("h2", "", "Row " + c.row + " in its document"));
  box.append(el("div", "muted", "doc " + c.document + " token " + c.tokenIndex + " · position " + c.position + " · id " + c.tokenID + " · " + c.source + "#" + c.sourceIndex));
  const text = el("div", "toks");
  text.id = "contextText";
  text.append(document.createTextNode(c.before), el("span", "mark", shown(c.token)), document.createTextNode(c.after));
  box.append(text);
  box.scrollIntoView({ block: "nearest" });
}

let encodeTimer = null;
let encodeSerial = 0;
function scheduleEncode() {
  clearTimeout(encodeTimer);
  encodeTimer = setTimeout(encodeNow, 250);
}

async function encodeNow() {
  const text = $("text").value;
  const serial = ++encodeSerial;
  if (!text) { $("encoded").replaceChildren(); $("encodeStatus").textContent = ""; return; }
  $("encodeStatus").textContent = "encoding…";
  try {
    const result = await api("/encode", { text: text, top: 8 });
    if (serial !== encodeSerial) return;  // a newer keystroke's answer will draw
    drawEncoded(result);
  } catch (error) {
    if (serial === encodeSerial) { $("encodeStatus").textContent = error.message; $("encodeStatus").className = "muted error"; }
  }
  if (serial === encodeSerial && state.onEncoded) { state.onEncoded(); state.onEncoded = null; }
}

function drawEncoded(result) {
  const max = Math.max(1e-9, ...result.tokens.map((t) => (t.features[0] ? t.features[0].activation : 0)));
  const out = $("encoded");
  out.replaceChildren();
  for (const t of result.tokens) {
    if (t.isBOS) continue;
    const span = el("span", "tok", t.text);
    span.style.background = shade(t.features[0] ? t.features[0].activation : 0, max);
    span.title = t.firingCount + " features fire" + (t.features[0] ? "; top #" + t.features[0].feature + " " + fmt(t.features[0].activation) : "");
    span.addEventListener("click", () => {
      for (const s of out.children) s.classList.remove("sel");
      span.classList.add("sel");
      const list = $("tokenFeatures");
      list.replaceChildren(el("div", "muted", JSON.stringify(t.text) + ": " + t.firingCount + " features fire"));
      for (const f of t.features) {
        const chip = el("span", "feat", "#" + f.feature + " " + fmt(f.activation));
        chip.addEventListener("click", () => openFeature(f.feature));
        list.append(chip);
      }
    });
    out.append(span);
  }
  $("encodeStatus").className = "muted";
  $("encodeStatus").textContent = result.tokens.length + " rows through " + result.column;
  out.dataset.tokens = String(result.tokens.length);
}

async function start() {
  try {
    await loadInfo();
    $("q").addEventListener("input", () => { state.q = $("q").value; clearTimeout(state.qTimer); state.qTimer = setTimeout(() => loadFeatures(false), 200); });
    $("more").addEventListener("click", () => loadFeatures(true));
    $("text").addEventListener("input", scheduleEncode);
    await loadFeatures(false);
    const feature = params.get("feature");
    if (feature !== null && state.info.features) await openFeature(Number(feature));
    else if (state.info.features && $("features").firstElementChild) await openFeature(Number($("features").firstElementChild.dataset.feature));
    const text = params.get("text");
    if (text && state.info.sae) {
      // As if typed: the input event goes through the same debounce as keystrokes do.
      const drawn = new Promise((resolve) => { state.onEncoded = resolve; });
      $("text").value = text;
      $("text").dispatchEvent(new Event("input"));
      await drawn;
    }
    document.body.dataset.rendered = "ok";
  } catch (error) {
    $("info").textContent = error.message;
    $("info").className = "info error";
    document.body.dataset.rendered = "error";
  }
}
start();
