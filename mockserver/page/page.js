// The live page of spacedog-mock: the journal as it grows (a long poll of
// /_mock/requests?since=N&wait=25s), the stored data, the fault rules.
// Everything from the mock is put in the page as text, never as markup.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const tokenKey = "spacedog-mock-token";
  const shown = 500; // requests kept in the page
  let since = 0, entries = [], polls = 0, lastState = {}, chosen = null, polling = false;

  // The admin token, when the mock has one: from #token=… once (then
  // taken out of the address bar and history), kept for this tab only.
  function token() {
    const m = location.hash.match(/^#token=(.+)$/);
    if (m) {
      sessionStorage.setItem(tokenKey, decodeURIComponent(m[1]));
      history.replaceState(null, "", location.pathname + location.search);
    }
    return sessionStorage.getItem(tokenKey);
  }

  async function api(path, method = "GET") {
    const headers = {};
    const t = token();
    if (t) headers["X-Mock-Token"] = t;
    const r = await fetch(path, { method, headers, cache: "no-store", credentials: "same-origin" });
    if (r.status === 401) {
      sessionStorage.removeItem(tokenKey);
      locked(document.body.dataset.token ? "the token was refused" : "");
      throw new Error("locked");
    }
    if (!r.ok) throw new Error(path + ": " + r.status + " " + (await r.text()));
    return r;
  }

  // locked shows the token's form, and why it is asked again.
  function locked(why) {
    $("unlock").hidden = false;
    $("unlock-error").textContent = why;
    live("locked: give the admin token", false);
    $("token").focus();
  }

  function live(text, on) {
    $("live").textContent = text;
    $("live").className = "tag " + (on ? "on" : "off");
    document.body.dataset.live = on ? "on" : "off";
  }

  function el(tag, attrs = {}, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else e.setAttribute(k, v);
    }
    for (const k of kids) if (k != null) e.append(k);
    return e;
  }

  const statusClass = (s) => (s >= 500 ? "s5" : s >= 400 ? "s4" : s >= 300 ? "s3" : "s2");
  const itemFailed = (it) => it.status >= 400 || !!it.fault;
  const itemPath = (it) => (it.malformed ? JSON.stringify(it.request) : (it.path || "") + (it.query ? "?" + it.query : ""));
  const failedItems = (e) => (e.subRequests || []).filter(itemFailed).length;
  const failed = (e) => e.status >= 400 || !!e.dropped || failedItems(e) > 0;
  const typeOf = (p) => ((p || "").match(/^\/1\/data\/([^/?]+)/) || [])[1] || "";
  const pretty = (v) => (v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v, null, 2));
  const clock = (t) => (t && t.length === 24 ? t.slice(11, 23) : t || "");

  function bodies(reqTitle, req, resTitle, res) {
    return el("div", { class: "bodies" },
      el("div", {}, el("h4", { text: reqTitle }), el("pre", { text: pretty(req) })),
      el("div", {}, el("h4", { text: resTitle }), el("pre", { text: pretty(res) })));
  }

  // entryBody builds a request's rows, as the server renders them.
  function entryBody(e) {
    const items = e.subRequests || [];
    const nFailed = failedItems(e), nNotRun = items.filter((it) => it.notRun).length;
    const summary = el("summary", { text: e.path + (e.query ? "?" + e.query : "") });
    if (items.length) {
      const count = el("span", { class: "count", text: " " + items.length + " items" });
      if (nFailed) count.append(", ", el("b", { text: nFailed + " failed" }));
      if (nNotRun) count.append(", ", el("b", { class: "notrun", text: nNotRun + " not run" }));
      summary.append(" ", count);
    }
    if (e.refused) summary.append(" ", el("b", { class: "tag-refused", text: "refused" }));
    if (e.fault) summary.append(" ", el("b", { text: "fault rule " + e.faultRule }));
    if (e.dropped) summary.append(" ", el("b", { text: "connection dropped" }));
    const tb = el("tbody", { class: "entry" + (failed(e) ? " fail" : "") + (e.refused ? " refused" : ""), id: "r" + e.id },
      el("tr", { class: "head" },
        el("td", { text: e.id }), el("td", { text: clock(e.time) }), el("td", { text: e.backend }), el("td", { text: e.user }),
        el("td", { class: "method", text: e.method }),
        el("td", { class: "path" }, el("details", {}, summary, bodies("request", e.request, "response", e.response))),
        el("td", { class: "status " + statusClass(e.status), text: e.status }), el("td", { text: (e.durationMs || 0).toFixed(1) })));
    if (e.refused) {
      tb.append(el("tr", { class: "refusal" }, el("td"), el("td", { colspan: "7" },
        el("span", { class: "why", text: e.refused.reason }), " ", el("span", { class: "allow", text: "To allow it: " + e.refused.allow }))));
    }
    const sent = Array.isArray(e.request) ? e.request : [];
    for (const it of items) {
      const label = el("td", { colspan: "3", text: "item " + it.index });
      if (it.fault) label.append(" ", el("b", { text: "fault rule " + it.faultRule }));
      if (it.malformed) label.append(" ", el("b", { text: "malformed" }));
      if (it.notRun) label.append(" ", el("b", { text: "not run" }));
      const details = el("details", {}, el("summary", { text: itemPath(it) }));
      if (it.notRun) details.append(el("p", { class: "note", text: it.notRun }));
      details.append(bodies("request", it.request !== undefined ? it.request : sent[it.index], "result", it.result));
      tb.append(el("tr", { class: "item" + (itemFailed(it) ? " fail" : "") + (it.notRun ? " notrun" : "") + (it.malformed ? " malformed" : "") },
        el("td"), label, el("td", { class: "method", text: it.malformed ? "" : it.method }),
        el("td", { class: "path" }, details),
        el("td", { class: "status " + (it.notRun ? "notrun" : statusClass(it.status)), text: it.notRun ? "—" : it.status }), el("td")));
    }
    return tb;
  }

  // The filters: an entry shows when it, or one of its items, matches.
  function matches(e) {
    const backend = $("f-backend").value, type = $("f-type").value.trim(), status = $("f-status").value;
    const text = $("f-text").value.trim().toLowerCase();
    const all = [e, ...(e.subRequests || [])];
    if (backend && e.backend !== backend) return false;
    if (type && !all.some((x) => typeOf(x.path) === type)) return false;
    if (status === "fail" && !failed(e)) return false;
    if (status === "refused" && !e.refused) return false;
    if (status && status !== "fail" && status !== "refused" && !all.some((x) => x.status && statusClass(x.status) === status)) return false;
    if (text && !JSON.stringify(e).toLowerCase().includes(text)) return false;
    return true;
  }

  function filter() {
    let n = 0;
    for (const e of entries) {
      const tb = $("r" + e.id);
      if (tb) { tb.hidden = !matches(e); n += tb.hidden ? 0 : 1; }
    }
    $("f-count").textContent = n === entries.length ? entries.length + " requests" : n + " of " + entries.length + " requests";
    $("empty").hidden = entries.length > 0;
    if (!entries.length) $("empty").textContent = "No request yet: send one to the API and it shows here.";
  }

  function options(select, values) {
    const have = new Set([...select.options].map((o) => o.value));
    for (const v of values) if (v && !have.has(v)) { select.append(el("option", { value: v, text: v })); have.add(v); }
  }

  // show puts new entries (newest first) at the top; all of them anew
  // when fresh.
  function show(got, fresh) {
    const table = $("journal");
    if (fresh) {
      for (const tb of [...table.tBodies]) tb.remove();
      entries = [];
    }
    for (const e of [...got].reverse()) {
      if (!$("r" + e.id)) table.insertBefore(entryBody(e), table.tBodies[0] || null);
    }
    entries = got.concat(entries).slice(0, shown);
    for (const tb of [...table.tBodies].slice(shown)) tb.remove();
    options($("f-backend"), entries.map((e) => e.backend));
    options($("types"), entries.flatMap((e) => [e, ...(e.subRequests || [])].map((x) => typeOf(x.path))));
    filter();
  }

  async function refreshSide() {
    const [state, faults] = await Promise.all([api("/_mock/state").then((r) => r.json()), api("/_mock/faults").then((r) => r.json())]);
    lastState = state;
    const box = $("backends");
    box.replaceChildren();
    for (const b of Object.keys(state).sort()) {
      const ul = el("ul");
      for (const t of Object.keys(state[b]).sort()) {
        const a = el("a", { href: "?backend=" + encodeURIComponent(b) + "&type=" + encodeURIComponent(t) + "#objects", "data-backend": b, "data-type": t, text: t });
        if (chosen && chosen[0] === b && chosen[1] === t) a.className = "chosen";
        ul.append(el("li", {}, a, " ", el("span", { class: "count", text: state[b][t].length })));
      }
      box.append(el("h3", { text: b }), ul);
    }
    if (!box.children.length) box.append(el("p", { class: "note", text: "Nothing stored." }));
    if (chosen) objects(chosen[0], chosen[1]);
    const list = $("fault-list");
    const spent = (f) => f.times > 0 && f.applied >= f.times;
    list.replaceChildren(...(faults || []).map((f) => el("pre", { class: spent(f) ? "spent" : "", text: JSON.stringify(f) })));
    if (!(faults || []).length) list.append(el("p", { class: "note", text: "None in force." }));
    $("clear-faults").disabled = !(faults || []).length;
  }

  function objects(backend, type) {
    chosen = [backend, type];
    const objs = (lastState[backend] || {})[type] || [];
    const box = $("objects");
    box.replaceChildren(el("h3", { text: backend + " / " + type + " " }, el("span", { class: "count", text: objs.length })));
    for (const o of objs.slice(0, 200)) box.append(el("pre", { text: JSON.stringify(o, null, 2) }));
    for (const a of document.querySelectorAll("#backends a")) a.className = a.dataset.backend === backend && a.dataset.type === type ? "chosen" : "";
  }

  let sideTimer = null;
  function sideSoon() {
    clearTimeout(sideTimer);
    sideTimer = setTimeout(() => refreshSide().catch(() => {}), 150);
  }

  async function poll() {
    for (;;) {
      try {
        const r = await api("/_mock/requests?since=" + since + "&wait=25s");
        const last = Number(r.headers.get("X-Mock-Journal-Last"));
        const got = await r.json();
        polls++;
        document.body.dataset.polls = polls;
        const cleared = last < since;
        since = Math.max(last, got.length ? got[0].id : 0, cleared ? 0 : since);
        if (cleared || got.length) { show(got, cleared); sideSoon(); }
        live("live", true);
      } catch (err) {
        if (err.message === "locked") return;
        live("reconnecting…", false);
        await new Promise((done) => setTimeout(done, 2000));
      }
    }
  }

  async function start() {
    if (document.body.dataset.token && !token()) return locked("");
    $("unlock").hidden = true;
    try {
      const r = await api("/_mock/requests");
      since = Number(r.headers.get("X-Mock-Journal-Last"));
      show(await r.json(), true);
      const q = new URLSearchParams(location.search);
      if (q.get("backend") && q.get("type")) chosen = [q.get("backend"), q.get("type")];
      await refreshSide();
    } catch (err) {
      if (err.message !== "locked") live("error: " + err.message, false);
      return;
    }
    for (const id of ["filters", "reset", "clear-faults", "clear-requests"]) $(id).hidden = false;
    const note = $("locked"); // the server's, for a page it rendered without the token
    if (note) note.hidden = true;
    live("live", true);
    if (!polling) { polling = true; poll().finally(() => { polling = false; }); }
  }

  function wire() {
    $("unlock").addEventListener("submit", (ev) => {
      ev.preventDefault();
      sessionStorage.setItem(tokenKey, $("token").value);
      $("token").value = "";
      start();
    });
    $("filters").addEventListener("input", filter);
    $("filters").addEventListener("submit", (ev) => ev.preventDefault());
    $("reset").addEventListener("click", async () => {
      if (confirm("Forget the data of every backend?")) await api("/_mock/reset", "POST").catch(() => {});
      sideSoon();
    });
    $("clear-faults").addEventListener("click", async () => {
      await api("/_mock/faults", "DELETE").catch(() => {});
      sideSoon();
    });
    $("clear-requests").addEventListener("click", () => api("/_mock/requests", "DELETE").catch(() => {}));
    $("backends").addEventListener("click", (ev) => {
      const a = ev.target.closest("a[data-type]");
      if (!a) return;
      ev.preventDefault();
      objects(a.dataset.backend, a.dataset.type);
    });
    // A click anywhere on a row opens its request and result.
    $("journal").addEventListener("click", (ev) => {
      if (ev.target.closest("details")) return;
      const row = ev.target.closest("tr.head, tr.item");
      const d = row && row.querySelector("details");
      if (d) d.open = !d.open;
    });
  }

  wire();
  start();
})();
