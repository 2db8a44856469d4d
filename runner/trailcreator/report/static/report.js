/* trailcreator report: lays out the rows the report's SQL returned (report/sql.py).
 * Every value goes into the page with textContent, never as markup: resource ids, creators
 * and session names are user data.  Nothing here computes a figure; it only formats them. */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("report-data").textContent);
  var NUM = new Intl.NumberFormat("en-US");

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function fmt(v, col) {
    if (v === null || v === undefined) return "";
    if (col && col.pct) return v + " %";
    return typeof v === "number" ? NUM.format(v) : String(v);
  }
  function iso(t) { return t === null ? "" : new Date(t * 1000).toISOString().replace(".000Z", "Z"); }

  /* A table of rows: cols are {key, label, num}; each cell carries data-col for readers and tests. */
  function table(name, cols, rows, empty) {
    var t = document.querySelector('table[data-table="' + name + '"]');
    if (!t) return;
    t.textContent = "";
    var head = el("tr");
    cols.forEach(function (c) { head.appendChild(el("th", c.num ? { "class": "num" } : {}, c.label)); });
    t.appendChild(el("thead")).appendChild(head);
    var body = t.appendChild(el("tbody"));
    if (!rows || rows.length === 0) {
      body.appendChild(el("tr")).appendChild(el("td", { colspan: cols.length, "class": "empty" }, empty || "none"));
      return;
    }
    rows.forEach(function (r) {
      var tr = body.appendChild(el("tr"));
      cols.forEach(function (c) {
        tr.appendChild(el("td", { "data-col": c.key, "class": c.num ? "num" : "" }, fmt(r[c.key], c)));
      });
    });
  }
  function cards(id, items) {
    var box = document.getElementById(id);
    items.forEach(function (it) {
      var c = box.appendChild(el("div", { "class": "card" }));
      c.appendChild(el("div", { "class": "v", "data-figure": it[0] }, fmt(it[2])));
      c.appendChild(el("div", { "class": "k" }, it[1]));
    });
  }
  var PALETTE = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d",
                 "#ea580c", "#475569"];
  function chart(id, config) {
    if (typeof Chart === "undefined") return;
    config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false },
                                   config.options || {});
    new Chart(document.getElementById(id), config);
  }

  function load() {
    var L = D.load;
    if (!L) {
      document.querySelector("#load .missing").hidden = false;
      document.querySelector("#load .grid").hidden = true;
      return;
    }
    var t = L.totals[0];
    cards("load-cards", [
      ["objects_read", "objects read", t.objects_read],
      ["objects_skipped", "objects skipped", t.objects_skipped],
      ["records_scanned", "records scanned", t.records_scanned],
      ["records_kept", "records kept (creates and links)", t.records_kept],
      ["create_events", "create events (deduplicated)", t.create_events],
      ["records_unusable", "unusable records", t.records_unusable],
      ["resources", "resources", t.resources],
      ["resources_with_creator", "with a creator", t.resources_with_creator],
      ["accounts", "accounts", t.accounts],
      ["regions", "regions", t.regions],
      ["first_event", "first create event", t.first_event],
      ["last_event", "last create event", t.last_event]
    ]);
    table("unusable", [{ key: "reason", label: "reason" }, { key: "records", label: "records", num: 1 },
                       { key: "objects", label: "objects", num: 1 }, { key: "first_object", label: "first object" }],
          L.unusable);
    table("skipped", [{ key: "status", label: "status" }, { key: "reason", label: "reason" },
                      { key: "object_key", label: "object" }], L.skipped);
    table("accounts", [{ key: "account_id", label: "account" }, { key: "create_events", label: "create events", num: 1 },
                       { key: "regions", label: "regions", num: 1 }], L.accounts);
    table("regions", [{ key: "region", label: "region" }, { key: "create_events", label: "create events", num: 1 },
                      { key: "accounts", label: "accounts", num: 1 }], L.regions);
  }

  function heat() {
    var rows = D.resources.heat, types = [], scopes = [], cells = {}, max = 0;
    rows.forEach(function (r) {
      if (types.indexOf(r.resource_type) < 0) types.push(r.resource_type);
      var s = r.account_id + "\u0001" + r.region;
      if (!(s in cells)) { cells[s] = {}; scopes.push([r.account_id, r.region, s]); }
      cells[s][r.resource_type] = r;
      max = Math.max(max, r.with_creator);
    });
    types.sort();
    var t = document.querySelector('table[data-table="heat"]');
    var head = el("tr");
    head.appendChild(el("th", {}, "account"));
    head.appendChild(el("th", {}, "region"));
    types.forEach(function (ty) { head.appendChild(el("th", { "class": "type" }, ty)); });
    t.appendChild(el("thead")).appendChild(head);
    var body = t.appendChild(el("tbody"));
    scopes.forEach(function (s) {
      var tr = body.appendChild(el("tr"));
      tr.appendChild(el("th", {}, s[0]));
      tr.appendChild(el("th", {}, s[1]));
      types.forEach(function (ty) {
        var r = cells[s[2]][ty];
        var td = tr.appendChild(el("td", { "class": "num" }, r ? fmt(r.with_creator) + " / " + fmt(r.resources) : ""));
        if (r) {
          td.setAttribute("data-cell", s[0] + "|" + s[1] + "|" + ty);
          td.title = r.with_creator + " of " + r.resources + " " + ty + " resources have a creator";
          var a = max ? 0.08 + 0.72 * r.with_creator / max : 0;
          td.style.background = "rgba(37, 99, 235, " + a.toFixed(3) + ")";
          if (a > 0.5) td.style.color = "#fff";
        }
      });
    });
    var unseen = document.getElementById("unseen-types"), count = document.getElementById("unseen-count");
    if (!D.unseen_types) { count.textContent = "unknown (the file holds no resource map)"; return; }
    var names = D.unseen_types.types.map(function (r) { return r.resource_type; });
    count.textContent = String(names.length);
    unseen.textContent = names.length ? names.join(", ") : "none: every type of the map was created";
  }

  function creators() {
    var C = D.creators;
    table("via", [{ key: "found_via", label: "found via" }, { key: "resources", label: "resources", num: 1 },
                  { key: "share_pct", label: "share", num: 1, pct: 1 }], C.via);
    chart("chart-via", { type: "doughnut", data: {
      labels: C.via.map(function (r) { return r.found_via; }),
      datasets: [{ data: C.via.map(function (r) { return r.resources; }), backgroundColor: PALETTE }] },
      options: { plugins: { legend: { position: "right" } } } });
    table("top", [{ key: "creator", label: "creator" }, { key: "resources", label: "resources", num: 1 },
                  { key: "found_via", label: "found via" }], C.top);
    chart("chart-top", { type: "bar", data: {
      labels: C.top.map(function (r) { return r.creator; }),
      datasets: [{ label: "resources", data: C.top.map(function (r) { return r.resources; }), backgroundColor: PALETTE[0] }] },
      options: { indexAxis: "y", plugins: { legend: { display: false } } } });
  }

  function exclusions() {
    var rows = D.exclusions.by_type;
    table("exclusions", [{ key: "reason", label: "reason" }, { key: "outcome", label: "outcome" },
                         { key: "resource_type", label: "type" }, { key: "resources", label: "resources", num: 1 }],
          rows, "nothing excluded");
    var reasons = [], types = [];
    rows.forEach(function (r) {
      if (reasons.indexOf(r.reason) < 0) reasons.push(r.reason);
      if (types.indexOf(r.resource_type) < 0) types.push(r.resource_type);
    });
    chart("chart-exclusions", { type: "bar", data: { labels: reasons, datasets: types.map(function (ty, i) {
      return { label: ty, backgroundColor: PALETTE[i % PALETTE.length], data: reasons.map(function (re) {
        var hit = rows.filter(function (r) { return r.reason === re && r.resource_type === ty; })[0];
        return hit ? hit.resources : 0; }) }; }) },
      options: { indexAxis: "y", scales: { x: { stacked: true }, y: { stacked: true } },
                 plugins: { legend: { display: types.length <= 12 } } } });
  }

  function timeline() {
    var rows = D.timeline.creates;
    if (!rows.length) return;
    document.getElementById("timeline-unit").textContent =
      "Resources by the " + rows[0].unit + " of their create event, per type family (iam-role: iam).";
    var periods = [], families = [], n = {};
    rows.forEach(function (r) {
      if (periods.indexOf(r.period) < 0) periods.push(r.period);
      if (r.family !== null && families.indexOf(r.family) < 0) families.push(r.family);
      if (r.family !== null) n[r.period + "|" + r.family] = r.resources;
    });
    chart("chart-timeline", { type: "bar", data: { labels: periods, datasets: families.map(function (f, i) {
      return { label: f, backgroundColor: PALETTE[i % PALETTE.length],
               data: periods.map(function (p) { return n[p + "|" + f] || 0; }) }; }) },
      options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } } });
  }

  function plans() {
    var P = D.plans;
    if (!P) return;
    var t = P.total[0];
    cards("plan-cards", [
      ["plan_population", "resources the plans list", t.population],
      ["plan_will_carry", "will carry a creator tag", t.will_carry],
      ["plan_share", "share of the population", t.share_pct === null ? "" : t.share_pct + " %"],
      ["plan_failed", "failed", t.failed]
    ]);
    table("plan", [{ key: "account", label: "account" }, { key: "region", label: "region" },
                   { key: "resource_type", label: "type" }, { key: "population", label: "population", num: 1 },
                   { key: "already_tagged", label: "already tagged", num: 1 },
                   { key: "would_tag", label: "would tag", num: 1 }, { key: "tagged", label: "tagged", num: 1 },
                   { key: "no_creator", label: "no creator found", num: 1 },
                   { key: "excluded", label: "excluded", num: 1 }, { key: "failed", label: "failed", num: 1 },
                   { key: "skipped", label: "skipped (changed since plan)", num: 1 }], P.by_scope);
    table("plan-failed", [{ key: "account", label: "account" }, { key: "region", label: "region" },
                          { key: "resource_type", label: "type" }, { key: "resource_id", label: "resource" },
                          { key: "action", label: "error" }], P.failed, "nothing failed");
  }

  /* The audit table: virtual rows (only the rows in view are in the DOM), sort, search. */
  function audit() {
    var A = D.audit, ROW = 24, OVER = 10;
    function dict(name) { var c = A[name]; return function (i) { return c.values[c.codes[i]]; }; }
    var COLS = [
      { key: "resource_type", label: "type", get: dict("resource_type"), code: A.resource_type.codes },
      { key: "resource_id", label: "resource id", get: function (i) { return A.id[i]; }, raw: A.id },
      { key: "account_id", label: "account", get: dict("account_id"), code: A.account_id.codes },
      { key: "region", label: "region", get: dict("region"), code: A.region.codes },
      { key: "creator", label: "creator", get: dict("creator"), code: A.creator.codes },
      { key: "excluded_reason", label: "excluded", get: dict("excluded_reason"), code: A.excluded_reason.codes },
      { key: "via_path", label: "via path", get: dict("via_path"), code: A.via_path.codes },
      { key: "event_time", label: "event time", get: function (i) { return iso(A.t[i]); }, raw: A.t },
      { key: "event_id", label: "event id", get: function (i) { return A.event_id[i]; }, raw: A.event_id }
    ];
    var n = A.rows, order = new Array(n), view, hay = null, sortCol = null, sortDir = 1;
    for (var i = 0; i < n; i++) order[i] = i;
    view = order;
    var root = document.getElementById("audit-table"), head = root.querySelector(".vt-head"),
        body = root.querySelector(".vt-body"), spacer = root.querySelector(".vt-spacer"),
        count = document.getElementById("audit-count"), search = document.getElementById("audit-search");
    COLS.forEach(function (c, k) {
      var b = head.appendChild(el("button", { "data-col": c.key, "aria-sort": "none", role: "columnheader" }, c.label));
      b.addEventListener("click", function () { sortBy(k); });
    });
    function cmp(c) {
      var a = c.code || c.raw;  // dictionary codes are in SQL order already
      return function (x, y) { var p = a[x], q = a[y];
        if (p === q) return x - y;
        if (p === null) return -sortDir; if (q === null) return sortDir;
        return (p < q ? -1 : 1) * sortDir; };
    }
    function sortBy(k) {
      sortDir = sortCol === k ? -sortDir : 1;
      sortCol = k;
      order.sort(cmp(COLS[k]));
      head.querySelectorAll("button").forEach(function (b, j) {
        b.setAttribute("aria-sort", j === k ? (sortDir > 0 ? "ascending" : "descending") : "none"); });
      filter();
    }
    function filter() {
      var q = search.value.trim().toLowerCase();
      if (!q) { view = order; }
      else {
        if (!hay) { hay = new Array(n);
          for (var i = 0; i < n; i++) hay[i] = COLS.map(function (c) { return c.get(i) || ""; }).join("\u0001").toLowerCase(); }
        view = order.filter(function (i) { return hay[i].indexOf(q) >= 0; });
      }
      count.textContent = (q ? NUM.format(view.length) + " of " : "") + NUM.format(n) + " resources";
      count.setAttribute("data-shown", view.length);
      spacer.style.height = view.length * ROW + "px";
      body.scrollTop = 0;
      draw();
    }
    function draw() {
      var first = Math.max(0, Math.floor(body.scrollTop / ROW) - OVER),
          last = Math.min(view.length, Math.ceil((body.scrollTop + body.clientHeight) / ROW) + OVER);
      spacer.textContent = "";
      for (var r = first; r < last; r++) {
        var i = view[r], row = el("div", { "class": "vt-row", role: "row", "data-row": r });
        row.style.top = r * ROW + "px";
        COLS.forEach(function (c) {
          var v = c.get(i);
          row.appendChild(el("span", { role: "cell", "data-col": c.key, title: v || "" }, v || ""));
        });
        spacer.appendChild(row);
      }
    }
    var pending = false;
    body.addEventListener("scroll", function () {
      if (pending) return; pending = true;
      requestAnimationFrame(function () { pending = false; draw(); });
    });
    var timer = null;
    search.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(filter, 120); });
    filter();
  }

  [load, heat, creators, exclusions, timeline, plans, audit].forEach(function (f) {
    try { f(); } catch (e) { console.error("report: " + f.name + ": " + e); }
  });
  document.documentElement.setAttribute("data-rendered", String(performance.now()));
})();
