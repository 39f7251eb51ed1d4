"use strict";
(function () {
  var panels = JSON.parse(document.getElementById("panels").textContent);
  var folded = JSON.parse(document.getElementById("folded").textContent);
  var holder = document.getElementById("diagram");
  var svg = holder.querySelector("svg:not(.minimap)");
  var minimap = document.getElementById("minimap");
  var panel = document.getElementById("panel");
  var tbody = document.querySelector("#layer-table tbody");
  var rows = Array.prototype.slice.call(tbody.querySelectorAll("tr"));
  var BODY_PX = parseFloat(getComputedStyle(document.body).fontSize) || 14;
  var TEXT_PT = (function () { // the diagram's median text size, in its own units (points)
    var sizes = Array.prototype.map.call(svg.querySelectorAll("text"), function (t) { return parseFloat(t.getAttribute("font-size")) || 14; });
    sizes.sort(function (a, b) { return a - b; });
    return sizes.length ? sizes[Math.floor(sizes.length / 2)] : 14;
  })();

  function elementOf(row) { return row.getAttribute("data-element") || row.getAttribute("data-id"); } // the box it is drawn in
  rows.forEach(function (r) { r.tabIndex = -1; });

  function text(tag, value, cls) {
    var el = document.createElement(tag);
    el.textContent = value;
    if (cls) { el.className = cls; }
    return el;
  }

  function table(headers, items, keys) {
    var t = document.createElement("table");
    var head = document.createElement("tr");
    headers.forEach(function (h) { head.appendChild(text("th", h)); });
    t.appendChild(head);
    items.forEach(function (item) {
      var tr = document.createElement("tr");
      keys.forEach(function (k) {
        var td = text("td", item[k] === undefined ? "" : String(item[k]));
        td.className = "c-" + k;
        tr.appendChild(td);
      });
      t.appendChild(tr);
    });
    return t;
  }

  function section(body, title, node) {
    body.appendChild(text("h3", title));
    body.appendChild(node);
  }

  function showPanel(id, note) {
    var info = panels[id];
    if (!info) { panel.hidden = true; return; }
    document.getElementById("panel-title").textContent = info.title;
    document.getElementById("panel-type").textContent = info.type + (info.loop > 1 ? "  ·  ×" + info.loop : "");
    document.getElementById("panel-note").textContent = note || "";
    var body = document.getElementById("panel-body");
    body.textContent = "";
    if (info.error) { section(body, "error", text("pre", info.error, "error")); }
    (info.findings || []).forEach(function (f) { body.appendChild(text("p", f, "finding-line")); });
    var withAxes = function (items) { return items.some(function (t) { return t.axes; }); };
    if (info.inputs.length) {
      section(body, "inputs", withAxes(info.inputs)
        ? table(["argument", "shape", "dtype", "sizes from"], info.inputs, ["path", "shape", "dtype", "axes"])
        : table(["argument", "shape", "dtype"], info.inputs, ["path", "shape", "dtype"]));
    }
    if (info.outputs.length) {
      section(body, "outputs", withAxes(info.outputs)
        ? table(["output", "shape", "dtype", "sizes from"], info.outputs, ["path", "shape", "dtype", "axes"])
        : table(["output", "shape", "dtype"], info.outputs, ["path", "shape", "dtype"]));
    }
    if (info.params.length) {
      section(body, "parameters (" + info.total_params + " in all)", table(["name", "shape", "count"], info.params, ["name", "shape", "count"]));
    } else if (info.total_params !== "0") {
      section(body, "parameters", text("p", info.total_params + " in its submodules"));
    }
    (info.notes || []).forEach(function (n) { body.appendChild(text("p", n, "note")); });
    if (info.source) { section(body, "source", text("code", info.source)); }
    if (info.gates.length) {
      var stacked = info.gates.some(function (g) { return g.layer !== ""; });
      section(body, "gates", stacked
        ? table(["layer", "direction", "gate", "act.", "output", "error"], info.gates, ["layer", "direction", "name", "activation", "shape", "error"])
        : table(["gate", "activation", "output", "error"], info.gates, ["name", "activation", "shape", "error"]));
      info.cells.forEach(function (cid) {
        var a = text("a", "gate diagram " + cid);
        a.href = "#" + cid;
        body.appendChild(a);
        body.appendChild(document.createTextNode(" "));
      });
    }
    panel.hidden = false;
  }

  // ---- the view: a viewBox kept to the frame's aspect, bounded zoom ----
  var base = svg.viewBox.baseVal;
  var home = { x: base.x, y: base.y, w: base.width, h: base.height };
  var view = { x: home.x, y: home.y, w: home.w, h: home.h };
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  svg.setAttribute("preserveAspectRatio", "xMinYMin meet");
  function frame() { return { w: holder.clientWidth || 800, h: holder.clientHeight || 500 }; }
  function readableWidth() { return frame().w * TEXT_PT / BODY_PX; } // the median text at the page's body size
  function widest() { var f = frame(); return Math.max(home.w, home.h * f.w / f.h) * 1.05; }
  var lastWidth = frame().w;
  function apply() {
    var f = frame();
    if (f.w !== lastWidth) { view.w *= f.w / lastWidth; lastWidth = f.w; } // a narrower frame keeps the scale
    view.w = Math.min(Math.max(view.w, 40), widest());
    view.h = view.w * f.h / f.w;
    svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].join(" "));
    drawMinimap();
  }
  function zoom(factor, cx, cy) {
    var w = Math.min(Math.max(view.w * factor, 40), widest());
    var k = w / view.w;
    view = { x: cx - (cx - view.x) * k, y: cy - (cy - view.y) * k, w: w, h: view.h * k };
    apply();
  }
  function centreOn(cx, cy) { view.x = cx - view.w / 2; view.y = cy - view.h / 2; apply(); }
  function boxOf(el) {
    var b = el.getBBox();
    var outer = svg.getScreenCTM(), inner = el.getScreenCTM();
    if (outer && inner) {
      var m = outer.inverse().multiply(inner);
      return { x: m.a * b.x + m.e, y: m.d * b.y + m.f, w: b.width * m.a, h: b.height * m.d };
    }
    return { x: b.x, y: b.y, w: b.width, h: b.height };
  }
  function zoomTo(el) { // the box at a readable size, in the middle of the frame (a tall one: its top)
    var b = boxOf(el);
    view.w = Math.max(Math.min(readableWidth(), widest()), b.w * 1.3);
    apply();
    centreOn(b.x + b.w / 2, b.h > view.h * 0.8 ? b.y + view.h * 0.4 : b.y + b.h / 2);
  }
  function opening() { // the top of the model, readable: whole if it fits at that size
    var w = readableWidth();
    var first = svg.getElementById("in-0");
    var b = first ? boxOf(first) : { x: home.x, y: home.y, w: 0, h: 0 };
    if (home.w <= w) { view = { x: home.x - (w - home.w) / 2, y: home.y, w: w, h: 0 }; }
    else {
      view = { x: b.x + b.w / 2 - w / 2, y: home.y, w: w, h: 0 };
      view.x = Math.min(Math.max(view.x, home.x), home.x + home.w - w);
    }
    apply();
    if (b.y + b.h > view.y + view.h) { view.y = b.y - view.h * 0.1; apply(); } // the input, below the legend
  }

  // ---- the minimap: the whole diagram, and where the frame is ----
  var miniRect = document.getElementById("minimap-view");
  minimap.setAttribute("viewBox", [home.x, home.y, home.w, home.h].join(" "));
  function drawMinimap() {
    var whole = view.w >= home.w && view.h >= home.h;
    minimap.classList.toggle("idle", whole);
    miniRect.setAttribute("x", view.x); miniRect.setAttribute("y", view.y);
    miniRect.setAttribute("width", view.w); miniRect.setAttribute("height", view.h);
  }
  minimap.addEventListener("click", function (evt) {
    var r = minimap.getBoundingClientRect();
    var s = Math.min(r.width / home.w, r.height / home.h);
    centreOn(home.x + (evt.clientX - r.left) / s, home.y + (evt.clientY - r.top) / s);
    evt.stopPropagation();
  });

  // ---- selecting a box: outline it, open its panel, bring it into view ----
  var nodes = Array.prototype.slice.call(svg.querySelectorAll("g.node, g.cluster"));
  var selected = null;
  function select(id, bring, note) {
    if (selected) { selected.classList.remove("selected"); selected.removeAttribute("aria-current"); }
    rows.forEach(function (r) { r.classList.toggle("selected", elementOf(r) === id); });
    selected = id ? svg.getElementById(id) : null;
    showPanel(id, note); // first: opening the panel narrows the frame
    if (selected) {
      selected.classList.add("selected");
      selected.setAttribute("aria-current", "true");
      if (bring) {
        zoomTo(selected);
        var r = holder.getBoundingClientRect();
        if (r.top < 0 || r.bottom > window.innerHeight) { holder.scrollIntoView({ block: "nearest" }); }
      }
    }
  }
  function label(el) {
    var title = el.querySelector("title");
    return Array.prototype.map.call(el.querySelectorAll("text"), function (t) { return t.textContent; }).join(" ") || (title && title.textContent) || el.id;
  }
  nodes.forEach(function (el) {
    if (el.id === "legend" || el.id === "legend-table") { return; }
    el.setAttribute("tabindex", "0");
    el.setAttribute("role", "button");
    el.setAttribute("aria-label", label(el));
  });

  // ---- the doctor's badges: a dashed outline and a "!" on each box a finding names ----
  var badges = JSON.parse(document.getElementById("badges").textContent);
  Object.keys(badges).forEach(function (id) {
    var g = svg.getElementById(id);
    if (!g) { return; }
    var severity = badges[id].severity;
    g.classList.add("flag-" + severity);
    var b = g.getBBox();
    var ns = "http://www.w3.org/2000/svg";
    var dot = document.createElementNS(ns, "circle");
    dot.setAttribute("cx", b.x + b.width); dot.setAttribute("cy", b.y); dot.setAttribute("r", 8);
    dot.setAttribute("class", "flag-dot " + severity);
    var mark = document.createElementNS(ns, "text");
    mark.setAttribute("x", b.x + b.width); mark.setAttribute("y", b.y + 4); mark.setAttribute("text-anchor", "middle");
    mark.setAttribute("class", "flag-mark");
    mark.textContent = "!";
    var title = document.createElementNS(ns, "title");
    title.textContent = badges[id].titles.join("\n");
    dot.appendChild(title);
    g.appendChild(dot); g.appendChild(mark);
    g.setAttribute("aria-label", (g.getAttribute("aria-label") || "") + " — doctor: " + badges[id].titles.join("; "));
  });

  // ---- pointer and wheel ----
  holder.addEventListener("wheel", function (evt) {
    if (!(evt.ctrlKey || evt.metaKey || holder.contains(document.activeElement))) { return; } // the page scrolls on
    evt.preventDefault();
    var r = svg.getBoundingClientRect();
    var s = Math.min(r.width / view.w, r.height / view.h);
    zoom(evt.deltaY > 0 ? 1.15 : 1 / 1.15, view.x + (evt.clientX - r.left) / s, view.y + (evt.clientY - r.top) / s);
  }, { passive: false });
  var drag = null;
  holder.addEventListener("pointerdown", function (evt) { drag = { x: evt.clientX, y: evt.clientY, moved: false }; });
  window.addEventListener("pointerup", function () { setTimeout(function () { drag = null; }, 0); });
  holder.addEventListener("pointermove", function (evt) {
    if (!drag || evt.buttons === 0) { return; }
    var r = svg.getBoundingClientRect();
    var s = Math.min(r.width / view.w, r.height / view.h);
    var dx = evt.clientX - drag.x, dy = evt.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) { drag.moved = true; }
    view.x -= dx / s;
    view.y -= dy / s;
    drag.x = evt.clientX;
    drag.y = evt.clientY;
    apply();
  });
  function centre() { return [view.x + view.w / 2, view.y + view.h / 2]; }
  document.getElementById("zoom-in").addEventListener("click", function () { zoom(1 / 1.3, centre()[0], centre()[1]); });
  document.getElementById("zoom-out").addEventListener("click", function () { zoom(1.3, centre()[0], centre()[1]); });
  document.getElementById("zoom-read").addEventListener("click", function () { var c = centre(); view.w = readableWidth(); apply(); centreOn(c[0], c[1]); });
  document.getElementById("zoom-fit").addEventListener("click", function () { view = { x: home.x, y: home.y, w: widest(), h: 0 }; apply(); });

  function targetOf(node) {
    var g = node.closest ? node.closest("g.node, g.cluster") : null;
    return g && g.id !== "legend" && g.id !== "legend-table" ? g : null;
  }
  function open(g) {
    history.replaceState(null, "", "#" + g.id);
    select(g.id, false);
    if (view.w > readableWidth() * 1.05) { zoomTo(g); } // too small to read: bring it to a readable size
  }
  svg.addEventListener("click", function (evt) {
    if (drag && drag.moved) { return; }
    var link = evt.target.closest("a");
    if (link) {
      evt.preventDefault();
      var href = link.getAttribute("href") || link.getAttribute("xlink:href") || "";
      if (href.charAt(0) === "#" && svg.getElementById(href.slice(1))) { // a reference: go to the maker
        history.replaceState(null, "", href);
        select(href.slice(1), true, "the input this reference stands for");
        return;
      }
    }
    var g = targetOf(evt.target);
    if (g) { open(g); }
  });
  svg.addEventListener("keydown", function (evt) {
    var g = targetOf(evt.target);
    if (g && (evt.key === "Enter" || evt.key === " ")) { evt.preventDefault(); open(g); zoomTo(g); }
  });
  svg.addEventListener("focusin", function (evt) { // keep the focused box in the frame
    var g = targetOf(evt.target);
    if (!g) { return; }
    var b = boxOf(g);
    if (b.x < view.x || b.y < view.y || b.x + b.w > view.x + view.w || b.y + b.h > view.y + view.h) { centreOn(b.x + b.w / 2, b.y + b.h / 2); }
  });
  holder.addEventListener("keydown", function (evt) {
    if (evt.target !== holder) { return; }
    var step = view.w / 8, c = centre();
    var moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (moves[evt.key]) { evt.preventDefault(); view.x += moves[evt.key][0]; view.y += moves[evt.key][1]; apply(); }
    else if (evt.key === "+" || evt.key === "=") { zoom(1 / 1.3, c[0], c[1]); }
    else if (evt.key === "-") { zoom(1.3, c[0], c[1]); }
    else if (evt.key === "0") { view = { x: home.x, y: home.y, w: widest(), h: 0 }; apply(); }
  });
  document.addEventListener("keydown", function (evt) {
    if (evt.key === "Escape" && !panel.hidden) { panel.hidden = true; if (selected) { selected.focus(); } }
  });
  document.getElementById("panel-close").addEventListener("click", function () { panel.hidden = true; });

  // ---- search: boxes by name, class or shape ----
  var search = document.getElementById("search"), counter = document.getElementById("search-count");
  var index = null, matches = [], at = -1;
  function find(q) {
    if (!index) { index = nodes.filter(function (el) { return el.getAttribute("role") === "button"; }).map(function (el) { return { el: el, text: label(el).toLowerCase() + " " + (panels[el.id] ? panels[el.id].type.toLowerCase() : "") }; }); }
    q = q.trim().toLowerCase();
    matches = q ? index.filter(function (it) { return it.text.indexOf(q) >= 0; }).map(function (it) { return it.el; }) : [];
    at = -1;
    nodes.forEach(function (el) { el.classList.remove("match"); });
    matches.forEach(function (el) { el.classList.add("match"); });
    counter.textContent = q ? (matches.length ? matches.length + " found" : "none found") : "";
  }
  function step(dir) {
    if (!matches.length) { return; }
    at = (at + dir + matches.length) % matches.length;
    counter.textContent = (at + 1) + " of " + matches.length;
    select(matches[at].id, true);
  }
  search.addEventListener("input", function () { find(search.value); });
  search.addEventListener("keydown", function (evt) { if (evt.key === "Enter") { evt.preventDefault(); step(evt.shiftKey ? -1 : 1); } });
  document.getElementById("search-next").addEventListener("click", function () { step(1); });
  document.getElementById("search-prev").addEventListener("click", function () { step(-1); });

  // ---- the module tree: fold, filter, sort within siblings, keyboard ----
  var byId = {}, kids = { "": [] };
  rows.forEach(function (r) {
    var id = r.getAttribute("data-id"), parent = r.getAttribute("data-parent");
    byId[id] = r;
    (kids[parent] = kids[parent] || []).push(r);
  });
  function shown(r) {
    var p = r.getAttribute("data-parent");
    while (p && byId[p]) {
      if (byId[p].getAttribute("aria-expanded") === "false") { return false; }
      p = byId[p].getAttribute("data-parent");
    }
    return true;
  }
  var filterText = "";
  function matchesFilter(r) { return !filterText || r.textContent.toLowerCase().indexOf(filterText) >= 0; }
  function refresh() {
    var keep = {};
    if (filterText) { // a match shows its ancestors too
      rows.forEach(function (r) {
        if (!matchesFilter(r)) { return; }
        for (var x = r; x; x = byId[x.getAttribute("data-parent")]) { keep[x.getAttribute("data-id")] = true; }
      });
    }
    rows.forEach(function (r) { r.hidden = filterText ? !keep[r.getAttribute("data-id")] : !shown(r); });
  }
  function setOpen(r, on) { if (r.hasAttribute("aria-expanded")) { r.setAttribute("aria-expanded", on ? "true" : "false"); refresh(); } }
  function visibleRows() { return rows.filter(function (r) { return !r.hidden; }); }
  function focusRow(r) { if (r) { rows.forEach(function (x) { x.tabIndex = -1; }); r.tabIndex = 0; r.focus(); } }
  function chooseRow(r) {
    var id = elementOf(r);
    history.replaceState(null, "", "#" + id);
    select(id, true);
  }
  if (rows.length) { rows[0].tabIndex = 0; }
  tbody.addEventListener("click", function (evt) {
    var r = evt.target.closest("tr");
    if (!r) { return; }
    if (evt.target.classList.contains("twisty")) { setOpen(r, r.getAttribute("aria-expanded") === "false"); return; }
    focusRow(r);
    chooseRow(r);
  });
  tbody.addEventListener("keydown", function (evt) {
    var r = evt.target.closest("tr");
    if (!r) { return; }
    var list = visibleRows(), i = list.indexOf(r);
    if (evt.key === "ArrowDown") { evt.preventDefault(); focusRow(list[i + 1]); }
    else if (evt.key === "ArrowUp") { evt.preventDefault(); focusRow(list[i - 1]); }
    else if (evt.key === "ArrowRight") { evt.preventDefault(); if (r.getAttribute("aria-expanded") === "false") { setOpen(r, true); } else { focusRow(list[i + 1]); } }
    else if (evt.key === "ArrowLeft") { evt.preventDefault(); if (r.getAttribute("aria-expanded") === "true") { setOpen(r, false); } else { focusRow(byId[r.getAttribute("data-parent")]); } }
    else if (evt.key === "Enter" || evt.key === " ") { evt.preventDefault(); chooseRow(r); }
  });
  document.getElementById("tree-expand").addEventListener("click", function () { rows.forEach(function (r) { if (r.hasAttribute("aria-expanded")) { r.setAttribute("aria-expanded", "true"); } }); refresh(); });
  document.getElementById("tree-collapse").addEventListener("click", function () { rows.forEach(function (r) { if (r.hasAttribute("aria-expanded")) { r.setAttribute("aria-expanded", "false"); } }); refresh(); });
  document.getElementById("filter").addEventListener("input", function (evt) { filterText = evt.target.value.trim().toLowerCase(); refresh(); });
  Array.prototype.forEach.call(document.querySelectorAll("#layer-table th button"), function (button) {
    button.addEventListener("click", function () {
      var th = button.parentNode, col = Array.prototype.indexOf.call(th.parentNode.children, th);
      var asc = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(th.parentNode.children, function (o) { o.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      var numeric = button.hasAttribute("data-num");
      function key(r) { var v = r.children[col].textContent.replace(/[,×]/g, "").trim(); return numeric ? Number(v || 0) : v.toLowerCase(); }
      var order = [];
      (function walk(parent) { // siblings sorted among themselves, each followed by its own subtree
        var list = (kids[parent] || []).slice().sort(function (a, b) {
          var x = key(a), y = key(b), c = x < y ? -1 : x > y ? 1 : 0;
          return asc ? c : -c;
        });
        list.forEach(function (r) { order.push(r); walk(r.getAttribute("data-id")); });
      })("");
      order.forEach(function (r) { tbody.appendChild(r); });
      rows = order;
    });
  });

  // ---- the URL hash: a box, or a call folded onto one ----
  function drawnAs(id) {
    var m = /^call-(\d+)$/.exec(id);
    if (!m) { return null; }
    var n = Number(m[1]);
    for (var i = 0; i < folded.length; i++) {
      if (n >= folded[i][0] && n <= folded[i][1]) {
        var target = "call-" + String(n - folded[i][2]).padStart(4, "0");
        var row = byId[target];
        return { id: row ? elementOf(row) : target, from: target };
      }
    }
    return byId[id] ? { id: elementOf(byId[id]), from: id } : null;
  }
  function fromHash() {
    var id = location.hash.slice(1);
    try { id = decodeURIComponent(id); } catch (e) { /* a malformed escape: use the fragment as written */ }
    if (!id) { return; }
    if (panels[id] || svg.getElementById(id)) { select(id, true); return; }
    var shownAs = drawnAs(id);
    if (shownAs && (panels[shownAs.id] || svg.getElementById(shownAs.id))) {
      select(shownAs.id, true, id + " runs in a folded loop step or layer; it is drawn as " + shownAs.from + ".");
    }
  }
  window.addEventListener("hashchange", fromHash);

  // ---- the record: one embedded copy, unpacked on demand ----
  function download() {
    var el = document.getElementById("record-data"), name = document.getElementById("download").getAttribute("data-name");
    var bytes = Uint8Array.from(atob(el.textContent.trim()), function (c) { return c.charCodeAt(0); });
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    new Response(stream).blob().then(function (blob) {
      var a = document.createElement("a");
      a.href = URL.createObjectURL(new Blob([blob], { type: "application/json" }));
      a.download = name;
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 0);
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("#download, button.download"), function (b) { b.addEventListener("click", download); });

  // ---- print: the whole diagram at page width, in page-high slices cut between boxes ----
  var pages = document.getElementById("print-pages");
  function cuts() {
    var boxes = Array.prototype.slice.call(svg.querySelectorAll("g.node, g.edge text"));
    var spans = boxes.map(function (el) { var b = boxOf(el); return [b.y, b.y + b.h]; }); // frames may be cut, boxes not
    var slice = home.w * 1.3, end = home.y + home.h, out = [home.y]; // a portrait page's height for the page width
    while (end - out[out.length - 1] > slice) {
      var top = out[out.length - 1], cut = top + slice;
      var crosses = function (y) { return spans.some(function (s) { return s[0] < y && y < s[1]; }); };
      for (var y = cut; y > top + slice * 0.5; y -= slice / 50) { if (!crosses(y)) { cut = y; break; } }
      out.push(cut);
    }
    out.push(end);
    return out;
  }
  window.addEventListener("beforeprint", function () {
    pages.textContent = "";
    var at = cuts();
    for (var i = 0; i + 1 < at.length; i++) {
      var s = document.createElementNS("http://www.w3.org/2000/svg", "svg");
      s.setAttribute("viewBox", [home.x, at[i], home.w, at[i + 1] - at[i]].join(" "));
      s.setAttribute("aria-hidden", "true");
      var use = document.createElementNS("http://www.w3.org/2000/svg", "use");
      use.setAttribute("href", "#graph0");
      s.appendChild(use);
      pages.appendChild(s);
    }
  });
  window.addEventListener("afterprint", function () { pages.textContent = ""; });

  svg.setAttribute("tabindex", "-1"); // the boxes and the frame are the tab stops, not the picture itself
  opening();
  refresh();
  fromHash();
  if (window.ResizeObserver) { new ResizeObserver(function () { apply(); }).observe(holder); } else { window.addEventListener("resize", apply); }
})();
