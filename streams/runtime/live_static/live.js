// The live page: one EventSource on /live/events; every `state` event holds all the page shows
// (built by streams/runtime/live.py). No build step: d3 and topojson-client are vendored beside this file.
"use strict";

const view = { data: null, window: "all", features: null, seen: new Set(), first: true };
const fmt = d3.format(",");
const pct = d3.format(".0%");

const svg = d3.select("#map");
const projection = d3.geoNaturalEarth1().fitExtent([[4, 4], [956, 496]], { type: "Sphere" });
const geoPath = d3.geoPath(projection);
svg.append("path").attr("class", "sphere").attr("d", geoPath({ type: "Sphere" }));
const countriesLayer = svg.append("g");

fetch("/live/static/vendor/countries-110m.json")
  .then((response) => response.json())
  .then((world) => {
    view.features = topojson.feature(world, world.objects.countries).features;
    countriesLayer.selectAll("path").data(view.features).join("path")
      .attr("class", "country none").attr("d", geoPath)
      .attr("data-numeric", (d) => d.id || "")
      .append("title");
    render();
  });

function currentWindow() {
  const windows = view.data ? view.data.windows : [];
  return windows.find((w) => w.window === view.window) || windows[0] || { countries: [] };
}

function renderTabs() {
  const nav = d3.select("#windows");
  nav.selectAll("button").data(view.data.windows, (w) => w.window).join((enter) => enter.append("button")
    .attr("type", "button").on("click", (event, w) => { view.window = w.window; render(); }))
    .attr("data-window", (w) => w.window)
    .attr("aria-pressed", (w) => String(w.window === view.window))
    .html((w) => `${w.label}<span class="n">${w.total_mentions ? fmt(w.total_mentions) : 0}</span>`);
}

function renderCountries() {
  const w = currentWindow();
  const rows = w.countries || [];
  const max = d3.max(rows, (r) => r.mentions) || 1;
  const span = w.start ? ` · ${w.start.slice(0, 16).replace("T", " ")}–${w.end.slice(11, 16)} UTC` : "";
  d3.select("#country-summary").text(rows.length
    ? `${fmt(w.total_mentions)} mentions of ${fmt(w.total_countries)} countries${span}` +
      ` · ${w.workers} worker${w.workers === 1 ? "" : "s"}`
    : `no country mentions in this window yet${span}`);

  const bars = d3.select("#bars");
  bars.selectAll("li.empty").data(rows.length ? [] : [0]).join("li").attr("class", "empty")
    .text("Nothing counted yet.");
  bars.selectAll("li.bar-row").data(rows, (r) => r.country).join((enter) => {
    const li = enter.append("li").attr("class", "bar-row");
    li.append("span").attr("class", "rank");
    li.append("span").attr("class", "name");
    li.append("span").attr("class", "track").append("span").attr("class", "fill").style("width", "0%");
    li.append("span").attr("class", "count");
    return li;
  })
    .attr("data-country", (r) => r.country)
    .call((li) => li.select(".rank").text((r, i) => i + 1))
    .call((li) => li.select(".fill").style("width", (r) => `${(100 * r.mentions) / max}%`)
      .style("background", (r) => color(max)(r.mentions)))
    .call((li) => li.select(".name").attr("title", (r) => r.name)
      .html((r) => `${escapeHtml(r.name)}<span class="code">${r.country}</span>`))
    .call((li) => li.select(".count").text((r) => fmt(r.mentions)))
    .order();

  if (!view.features) return;
  const byNumeric = new Map(rows.filter((r) => r.numeric).map((r) => [r.numeric, r]));
  const scale = color(max);
  countriesLayer.selectAll("path")
    .attr("class", (d) => (byNumeric.has(d.id) ? "country counted" : "country none"))
    .style("fill", (d) => (byNumeric.has(d.id) ? scale(byNumeric.get(d.id).mentions) : null))
    .select("title").text((d) => {
      const row = byNumeric.get(d.id);
      return row ? `${row.name}: ${fmt(row.mentions)} mentions` : d.properties.name;
    });
  const legend = d3.select("#legend");
  legend.html("");
  if (rows.length) {
    const stops = d3.range(0, 1.01, 0.25).map((t) => scale(Math.max(1, t * max)));
    legend.append("span").text("1");
    legend.append("span").attr("class", "ramp").style("background", `linear-gradient(90deg, ${stops.join(",")})`);
    legend.append("span").text(`${fmt(max)} mentions`);
  }
}

function color(max) {
  return d3.scaleSequentialSqrt([0, max], (t) => d3.interpolateBlues(0.25 + 0.7 * t));
}

function confidence(value) {
  return `<span class="conf" title="calibrated confidence">${pct(value)}` +
    `<span class="meter"><i style="width:${Math.round(100 * value)}%"></i></span></span>`;
}

function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;",
    '"': "&quot;", "'": "&#39;" }[c]));
}

function fresh(id) {
  // Flash what arrived after the first state: something new is worth a glance.
  const isNew = !view.first && !view.seen.has(id);
  view.seen.add(id);
  return isNew;
}

function renderQuotes() {
  const quotes = view.data.quotes;
  const list = d3.select("#quotes");
  list.selectAll("li.empty").data(quotes.length ? [] : [0]).join("li").attr("class", "empty")
    .text("No quotes yet.");
  list.selectAll("li.quote").data(quotes, (q) => q.event_id).join((enter) => enter.append("li")
    .attr("class", (q) => (fresh(q.event_id) ? "quote new" : "quote"))
    .attr("data-event-id", (q) => q.event_id)
    .html((q) => `<blockquote>“${escapeHtml(q.text)}”</blockquote><div class="meta">` +
      (q.speaker ? `<span class="speaker">${escapeHtml(q.speaker)}</span>`
        : `<span class="speaker unknown">unattributed</span>`) +
      (q.cue ? `<span>${escapeHtml(q.cue)}</span>` : "") + `<span>${escapeHtml(q.kind)}</span>` +
      confidence(q.confidence) + `<span>${q.time.slice(11, 16)} UTC</span></div>`))
    .order();
}

function renderStances() {
  const stances = view.data.stances;
  d3.select("#stance-window").text(`last ${view.data.stance_minutes} minutes · strongest first`);
  const list = d3.select("#stances");
  list.selectAll("li.empty").data(stances.length ? [] : [0]).join("li").attr("class", "empty")
    .text("No stances in this window.");
  const key = (s) => `${s.actor}\u0000${s.polarity}\u0000${s.target}`;
  list.selectAll("li.stance").data(stances, key).join((enter) => enter.append("li")
    .attr("class", (s) => `stance ${s.polarity}${fresh(key(s)) ? " new" : ""}`))
    .attr("data-actor", (s) => s.actor).attr("data-target", (s) => s.target)
    .html((s) => `<div class="line"><span class="actor">${escapeHtml(s.actor)}</span>` +
      `<span class="verb">${s.polarity === "support" ? "backs" : "opposes"}</span>` +
      `<span class="target">${escapeHtml(s.target)}</span>` +
      `<span class="times">${s.count > 1 ? `×${s.count}` : ""}</span></div>` +
      `<div class="meta"><span>${escapeHtml(s.types.join(", ").replaceAll("_", " "))}</span>` +
      `<span>cue “${escapeHtml(s.cue)}”</span>${confidence(s.confidence)}</div>` +
      `<div class="evidence">${escapeHtml(s.evidence)}</div>`)
    .order();
}

function render() {
  if (!view.data) return;
  renderTabs();
  renderCountries();
  renderQuotes();
  renderStances();
  view.first = false;
  d3.select("#updated").text(`updated ${view.data.generated_at.slice(11, 19)} UTC`);
  d3.select("#notice").property("hidden", !view.data.notice).text(view.data.notice || "");
}

function connect() {
  const source = new EventSource("/live/events");
  const status = d3.select("#connection");
  source.addEventListener("open", () => status.attr("class", "pill live").text("live"));
  source.addEventListener("error", () => status.attr("class", "pill connecting").text("reconnecting…"));
  source.addEventListener("state", (event) => {
    view.data = JSON.parse(event.data);
    window.liveStates = (window.liveStates || 0) + 1; // for the tests: how many states arrived
    render();
  });
}

connect();
