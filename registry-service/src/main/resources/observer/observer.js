// Troupe Observer: the state comes from /api/state, refreshed when the feed says something changed;
// the feed is pushed by the server (/api/events, server-sent events). No library, nothing fetched
// from elsewhere.
"use strict";

const FEED_MAX = 300;
let watched = null;      // a PID whose events alone the feed shows, or null
let refreshTimer = null;

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function pidLink(pid) {
  return el("span", { class: "pid", title: "watch this process", onclick: () => watch(pid) }, pid);
}

function age(ms) {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 60 ? s + " s" : s < 3600 ? Math.floor(s / 60) + " min" : Math.floor(s / 3600) + " h";
}

function render(state) {
  const nodes = document.querySelector("#nodes tbody");
  nodes.replaceChildren(...state.nodes.map(n => el("tr", { "data-node": n.name },
    el("td", {}, n.name, n.memberOf ? el("div", { class: "hint" }, "member of " + n.memberOf + " (" + n.owner + ")") : ""),
    el("td", {}, el("code", {}, n.incarnation)),
    el("td", {}, el("code", {}, n.address)),
    el("td", {}, n.startedAt ? age(n.startedAt) : ""),
    el("td", {}, n.hosts.join(", ")),
    el("td", {}, n.error ? el("span", { class: "error" }, n.error) : String((n.processes || []).length)),
    el("td", {}, ...Object.entries(n.hostStats || {}).map(([h, s]) =>
      el("div", {}, h + ": " + Object.entries(s).map(([k, v]) => k + "=" + v).join(" ")))))));
  const names = document.querySelector("#names tbody");
  names.replaceChildren(...Object.entries(state.names).map(([name, pid]) =>
    el("tr", { "data-name": name }, el("td", {}, name), el("td", {}, pidLink(pid)))));
  const procs = document.querySelector("#processes tbody");
  const rows = [];
  for (const n of state.nodes) {
    for (const p of n.processes || []) {
      rows.push(el("tr", { "data-pid": p.pid },
        el("td", {}, pidLink(p.pid)), el("td", {}, n.name), el("td", {}, p.entry || "(client " + p.label + ")"),
        el("td", {}, p.startedAt ? age(p.startedAt) : ""), el("td", {}, String(p.mailbox)),
        el("td", {}, ...p.monitoredBy.map(pidLink)), el("td", {}, ...p.monitoring.map(pidLink)),
        el("td", {}, ...p.links.map(pidLink)), el("td", {}, p.names.join(", ")),
        el("td", {}, el("button", { class: "terminate", onclick: () => terminate(p.pid) }, "terminate"))));
    }
  }
  procs.replaceChildren(...rows);
}

async function refresh() {
  refreshTimer = null;
  try {
    const r = await fetch("/api/state", { credentials: "same-origin" });
    if (!r.ok) throw new Error(r.status + " " + (await r.text()));
    render(await r.json());
  } catch (e) {
    setStatus("down", "cannot read the state: " + e.message);
  }
}

function refreshSoon() {
  if (refreshTimer === null) refreshTimer = setTimeout(refresh, 300);
}

function setStatus(kind, text) {
  const s = document.getElementById("status");
  s.className = "status " + kind;
  s.textContent = text;
}

function show(ev) {
  const li = el("li", { class: ev.type + (ev.kind && ev.kind !== "normal" ? " error" : ""), "data-pid": ev.pid, "data-type": ev.type },
    new Date(ev.at).toLocaleTimeString(), " ", ev.type.toUpperCase(), " ", pidLink(ev.pid),
    ev.type === "spawn" ? " " + ev.entry
      : ev.type === "link_down" ? el("span", {}, " from ", pidLink(ev.from), " " + ev.kind + (ev.reason ? ": " + ev.reason : ""))
      : " " + ev.kind + (ev.reason ? ": " + ev.reason : ""),
    el("span", { class: "hint" }, " on " + ev.node));
  li.hidden = watched !== null && ev.pid !== watched;
  const feed = document.getElementById("feed");
  feed.prepend(li);
  while (feed.children.length > FEED_MAX) feed.lastChild.remove();
}

function watch(pid) {
  watched = pid;
  for (const li of document.querySelectorAll("#feed li")) li.hidden = li.dataset.pid !== pid;
  const w = document.getElementById("watching");
  w.hidden = false;
  w.textContent = "watching " + pid;
  document.getElementById("unwatch").hidden = false;
}

function unwatch() {
  watched = null;
  for (const li of document.querySelectorAll("#feed li")) li.hidden = false;
  document.getElementById("watching").hidden = true;
  document.getElementById("unwatch").hidden = true;
}

async function terminate(pid) {
  if (!confirm("Terminate " + pid + "? Its monitors get an EXIT, its links a LINK_DOWN.")) return;
  const r = await fetch("/api/terminate?pid=" + encodeURIComponent(pid), { method: "POST", credentials: "same-origin" });
  if (!r.ok) alert(await r.text());
  refreshSoon();
}

function connect() {
  const source = new EventSource("/api/events");
  source.onopen = () => setStatus("live", "live");
  source.onmessage = m => { show(JSON.parse(m.data)); refreshSoon(); };
  source.addEventListener("dropped", m => setStatus("live", "live (" + m.data + " events dropped: this page fell behind)"));
  source.onerror = () => setStatus("down", "disconnected; retrying…");
}

document.getElementById("unwatch").addEventListener("click", unwatch);
refresh();
connect();
setInterval(refresh, 10000); // ages and figures that no event changes
