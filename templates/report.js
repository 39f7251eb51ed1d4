"use strict";
(function () {
  var panels = JSON.parse(document.getElementById("panels").textContent);
  var folded = JSON.parse(document.getElementById("folded").textContent);
  var diagrams = JSON.parse(document.getElementById("diagrams").textContent); // "" the main one; v1, v2, ...: insides
  var holder = document.getElementById("diagram");
  var mainSvg = holder.querySelector("svg:not(.minimap)");
  var svg = mainSvg, current = "", prefix = ""; // the diagram shown, its key, and the prefix of its element ids
  var minimap = document.getElementById("minimap");
  var panel = document.getElementById("panel");
  var tbody = document.querySelector("#layer-table tbody");
  var rows = Array.prototype.slice.call(tbody.querySelectorAll("tr"));
  var BODY_PX = parseFloat(getComputedStyle(document.body).fontSize) || 14;
  var TEXT_PT = 14;
  function medianText(s) { // a diagram's median text size, in its own units (points)
    var sizes = Array.prototype.map.call(s.querySelectorAll("text"), function (t) { return parseFloat(t.getAttribute("font-size")) || 14; });
    sizes.sort(function (a, b) { return a - b; });
    return sizes.length ? sizes[Math.floor(sizes.length / 2)] : 14;
  }
  function here() { return diagrams[current] || { opens: {}, folds: [] }; }
  function panelsOf(key) { return key ? diagrams[key].panels : panels; }
  function el(id) { return id ? svg.getElementById(prefix + id) : null; } // an element of the diagram shown
  function idOf(g) { return prefix && g.id.indexOf(prefix) === 0 ? g.id.slice(prefix.length) : g.id; }

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

  function showPanel(id, note, member) { showInfo(panelsOf(current)[id], note, member, id); }
  function showInfo(info, note, member, id) {
    if (!info) { panel.hidden = true; return; }
    document.getElementById("panel-title").textContent = info.title;
    document.getElementById("panel-type").textContent = info.type + (info.loop > 1 && !info.members ? "  ·  ×" + info.loop : "");
    document.getElementById("panel-note").textContent = note || "";
    var body = document.getElementById("panel-body");
    body.textContent = "";
    var inside = id && here().opens[id] ? here().opens[id] : info.box && here().opens[info.box] ? here().opens[info.box] : "";
    if (inside && inside !== current) {
      var go = text("button", "Open the inside of " + diagrams[inside].title + " ▸", "open-inside");
      go.type = "button";
      go.addEventListener("click", function () { enter(inside, true); });
      body.appendChild(go);
    }
    if (info.members && info.members.length) { section(body, "members (" + info.members.length + ", one drawn for all)", members(info.members, member)); }
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
    var hit = body.querySelector(".member-hit");
    if (hit) { hit.parentNode.scrollTop = hit.offsetTop - hit.parentNode.offsetTop - 40; }
  }
  function members(names, member) { // a fold's members in order; the one asked for marked
    var list = document.createElement("ol");
    list.className = "members";
    list.start = 0;
    names.forEach(function (n, k) {
      var li = text("li", n);
      li.value = k;
      if (k === member) { li.className = "member-hit"; li.setAttribute("aria-current", "true"); }
      list.appendChild(li);
    });
    return list;
  }

  // ---- the view: a viewBox kept to the frame's aspect, bounded zoom ----
  var home, view;
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
    var first = el("in-0");
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
  var miniRect = document.getElementById("minimap-view"), miniImage = document.createElementNS("http://www.w3.org/2000/svg", "image");
  miniImage.setAttribute("preserveAspectRatio", "xMinYMin meet"); // a picture of the diagram shown, made here from its own SVG
  minimap.insertBefore(miniImage, miniRect);
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
  var nodes = [], boxes = [], selected = null, roving = null;
  function callOf(id) { return id.indexOf("cl-") === 0 ? id.slice(3) : id.indexOf("open-") === 0 ? id.slice(5) : id; }
  function select(id, bring, note, member) {
    if (selected) { selected.classList.remove("selected"); selected.removeAttribute("aria-current"); }
    rows.forEach(function (r) { r.classList.toggle("selected", current ? r.getAttribute("data-id") === callOf(id || "") : elementOf(r) === id); });
    selected = el(id);
    showPanel(id, note, member); // first: opening the panel narrows the frame
    if (selected) {
      selected.classList.add("selected");
      selected.setAttribute("aria-current", "true");
      rove(selected);
      if (bring) {
        var info = panelsOf(current)[id], frameLabel = info && info.members ? selected.querySelector("text") : null;
        zoomTo(frameLabel || selected); // a loop or fold frame: its label readable, not the whole frame in view
        var r = holder.getBoundingClientRect();
        if (r.top < 0 || r.bottom > window.innerHeight) { holder.scrollIntoView({ block: "nearest" }); }
      }
    }
  }
  function label(el) {
    var title = el.querySelector("title");
    return Array.prototype.map.call(el.querySelectorAll("text"), function (t) { return t.textContent; }).join(" ") || (title && title.textContent) || el.id;
  }
  function rove(g) { // roving focus: the diagram is one Tab stop, the box last visited
    if (roving === g || boxes.indexOf(g) < 0) { return; }
    if (roving) { roving.setAttribute("tabindex", "-1"); }
    roving = g;
    g.setAttribute("tabindex", "0");
  }
  function marker(g) { // a ▸ in the corner of a box that opens into its inside
    var b = g.getBBox(), ns = "http://www.w3.org/2000/svg";
    var mark = document.createElementNS(ns, "text");
    mark.setAttribute("x", b.x + b.width - 4); mark.setAttribute("y", b.y + 12); mark.setAttribute("text-anchor", "end");
    mark.setAttribute("class", "opens-mark"); mark.setAttribute("font-size", "11");
    mark.textContent = "▸ open";
    g.appendChild(mark);
  }
  function prepare() { // a diagram just shown: its view, boxes, tab stop and minimap
    var base = svg.viewBox.baseVal;
    home = { x: base.x, y: base.y, w: base.width, h: base.height };
    var picture = new XMLSerializer().serializeToString(svg);
    view = { x: home.x, y: home.y, w: home.w, h: home.h };
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    svg.setAttribute("preserveAspectRatio", "xMinYMin meet");
    svg.setAttribute("tabindex", "-1"); // the boxes and the frame are the tab stops, not the picture itself
    TEXT_PT = medianText(svg);
    lastWidth = frame().w;
    nodes = Array.prototype.slice.call(svg.querySelectorAll("g.node, g.cluster"));
    boxes = [];
    roving = null;
    selected = null;
    var opens = here().opens;
    nodes.forEach(function (el) {
      if (el.id === prefix + "legend" || el.id === prefix + "legend-table") { return; }
      el.setAttribute("tabindex", "-1");
      el.setAttribute("role", "button");
      var inside = opens[idOf(el)];
      el.setAttribute("aria-label", label(el) + (inside ? " — opens its inside" : ""));
      if (inside && !el.querySelector(".opens-mark")) { el.classList.add("opens"); marker(el); }
      boxes.push(el);
    });
    rove(el("in-0") || boxes[0]);
    minimap.setAttribute("viewBox", [home.x, home.y, home.w, home.h].join(" "));
    // the minimap is a picture of the diagram: a <use> copy would copy its tab stop (and be focusable)
    miniImage.setAttribute("href", "data:image/svg+xml;charset=utf-8," + encodeURIComponent(picture));
    [["x", home.x], ["y", home.y], ["width", home.w], ["height", home.h]].forEach(function (a) { miniImage.setAttribute(a[0], a[1]); });
    marks();
  }

  // ---- the insides of closed boxes: each its own diagram, with the path back above it ----
  function show(key) {
    if (key === current) { return; }
    if (svg !== mainSvg) { svg.remove(); }
    if (key) {
      svg = document.getElementById("view-" + key).content.firstElementChild.cloneNode(true);
      holder.insertBefore(svg, holder.firstChild);
      mainSvg.style.display = "none";
    } else {
      svg = mainSvg;
      mainSvg.style.display = "";
    }
    current = key;
    prefix = key ? key + "-" : "";
    holder.setAttribute("data-view", key);
    prepare();
    crumbs();
    opening();
  }
  function enter(key, focus) { // open an inside, its module's panel beside it
    var d = diagrams[key];
    var info = (d.parent ? diagrams[d.parent].panels : panels)[d.element];
    show(key);
    history.replaceState(null, "", "#" + d.call);
    selected = null;
    rows.forEach(function (r) { r.classList.toggle("selected", r.getAttribute("data-id") === d.call); });
    showInfo(info, "The inside of " + d.title + ", drawn alone; the path above the diagram (or Esc) leads back.");
    lastWidth = frame().w; // the panel narrowed the frame: open at the new width, not scaled from the old
    opening();
    if (focus && roving) { roving.focus(); }
  }
  var crumbNav = document.getElementById("crumbs");
  function crumbs() {
    crumbNav.textContent = "";
    crumbNav.hidden = !current;
    var chain = [];
    for (var k = current; k; k = diagrams[k].parent) { chain.unshift(k); }
    chain.unshift("");
    chain.forEach(function (k, i) {
      var name = k ? diagrams[k].title : "whole model";
      if (i) { crumbNav.appendChild(text("span", "›", "sep")); }
      if (k === current) { var here_ = text("span", name, "here"); here_.setAttribute("aria-current", "page"); crumbNav.appendChild(here_); return; }
      var b = text("button", name);
      b.type = "button";
      b.addEventListener("click", function () { var from = current; show(k); backTo(from); });
      crumbNav.appendChild(b);
    });
  }
  function backTo(from) { // after going back: the box that opened `from` selected and focused
    var d = diagrams[from];
    while (d && d.parent !== current) { d = diagrams[d.parent]; }
    if (d) { select(d.element, true); if (selected) { selected.focus(); } }
  }

  // ---- the doctor's badges: a dashed outline and a "!" on each box a finding names ----
  var search = document.getElementById("search"), counter = document.getElementById("search-count");
  var index = null, matches = [], at = -1;
  prepare();
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
    return g && boxes.indexOf(g) >= 0 ? g : null;
  }
  function open(g, byKey) {
    var id = idOf(g), inside = here().opens[id];
    if (inside) { enter(inside, byKey); return; } // a closed module: its inside
    history.replaceState(null, "", "#" + (current ? callOf(id) : id));
    select(id, false);
    if (view.w > readableWidth() * 1.05) { zoomTo(g); } // too small to read: bring it to a readable size
  }
  svg.parentNode.addEventListener("click", function (evt) {
    if ((drag && drag.moved) || !svg.contains(evt.target)) { return; }
    var link = evt.target.closest("a");
    if (link) {
      evt.preventDefault();
      var href = link.getAttribute("href") || link.getAttribute("xlink:href") || "";
      if (href.charAt(0) === "#" && el(href.slice(1))) { // a reference: go to the maker
        history.replaceState(null, "", href);
        select(href.slice(1), true, "the input this reference stands for");
        return;
      }
    }
    var g = targetOf(evt.target);
    if (g) { open(g, false); }
  });
  function near(from, dir) { // the box nearest in an arrow's direction (a frame counts where its label is)
    var spot = function (g) { var t = g.classList.contains("cluster") ? g.querySelector("text") || g : g; var b = boxOf(t); return [b.x + b.w / 2, b.y + b.h / 2]; };
    var p = spot(from), best = null, score = Infinity;
    boxes.forEach(function (g) {
      if (g === from) { return; }
      var q = spot(g), dx = q[0] - p[0], dy = q[1] - p[1];
      var along = dir === "ArrowDown" ? dy : dir === "ArrowUp" ? -dy : dir === "ArrowRight" ? dx : -dx;
      var across = dir === "ArrowDown" || dir === "ArrowUp" ? Math.abs(dx) : Math.abs(dy);
      if (along <= 1) { return; }
      var s = along + 2 * across;
      if (s < score) { score = s; best = g; }
    });
    return best;
  }
  holder.addEventListener("keydown", function (evt) {
    var g = evt.target !== holder ? targetOf(evt.target) : null;
    if (g) {
      if (evt.key === "Enter" || evt.key === " ") { evt.preventDefault(); open(g, true); if (!here().opens[idOf(g)] && selected) { zoomTo(g); } }
      else if (/^Arrow/.test(evt.key)) { evt.preventDefault(); var to = near(g, evt.key); if (to) { rove(to); to.focus(); } }
      else if (evt.key === "Home" || evt.key === "End") { evt.preventDefault(); var end = boxes[evt.key === "Home" ? 0 : boxes.length - 1]; rove(end); end.focus(); }
      return;
    }
    if (evt.target !== holder) { return; }
    var step = view.w / 8, c = centre();
    var moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (moves[evt.key]) { evt.preventDefault(); view.x += moves[evt.key][0]; view.y += moves[evt.key][1]; apply(); }
    else if (evt.key === "+" || evt.key === "=") { zoom(1 / 1.3, c[0], c[1]); }
    else if (evt.key === "-") { zoom(1.3, c[0], c[1]); }
    else if (evt.key === "0") { view = { x: home.x, y: home.y, w: widest(), h: 0 }; apply(); }
  });
  holder.addEventListener("focusin", function (evt) { // keep the focused box in the frame; it is the tab stop now
    var g = targetOf(evt.target);
    if (!g) { return; }
    rove(g);
    if (drag) { return; } // focused by a press: moving the view now would move the box from under the pointer
    var b = boxOf(g.classList.contains("cluster") ? g.querySelector("text") || g : g); // a frame: its label
    if (b.x < view.x || b.y < view.y || b.x + b.w > view.x + view.w || b.y + b.h > view.y + view.h) { centreOn(b.x + b.w / 2, b.y + b.h / 2); }
  });
  document.addEventListener("keydown", function (evt) {
    if (evt.key !== "Escape") { return; }
    if (!panel.hidden) { panel.hidden = true; if (selected) { selected.focus(); } else if (roving && holder.contains(document.activeElement)) { roving.focus(); } return; }
    if (current && holder.contains(document.activeElement)) { var from = current; show(diagrams[current].parent); backTo(from); }
  });
  document.getElementById("panel-close").addEventListener("click", function () { panel.hidden = true; });

  // ---- search: boxes by name, class or shape, in every diagram (the insides of closed boxes too), and
  // the members of folds by name ----
  function entries() {
    var found = [];
    Object.keys(diagrams).forEach(function (key) {
      var root = key ? document.getElementById("view-" + key).content : mainSvg, cut = key ? key.length + 1 : 0;
      var byId = panelsOf(key);
      Array.prototype.forEach.call(root.querySelectorAll("g.node, g.cluster"), function (g) {
        var id = g.id.slice(cut), info = byId[id];
        if (id === "legend" || id === "legend-table") { return; }
        found.push({ view: key, id: id, member: -1, text: label(g).toLowerCase() + " " + (info ? info.type.toLowerCase() : "") });
      });
      diagrams[key].folds.forEach(function (f) { // a folded member is found by its own name: the frame, that member
        f.names.forEach(function (n, k) { if (k) { found.push({ view: key, id: f.frame, member: k, text: n.toLowerCase(), fold: f }); } });
      });
    });
    return found;
  }
  function marks() { // the hits in the diagram shown, and the current one
    nodes.forEach(function (g) { g.classList.remove("match"); g.classList.remove("current"); });
    matches.forEach(function (it, i) {
      var g = it.view === current ? el(it.id) : null;
      if (g) { g.classList.add("match"); if (i === at) { g.classList.add("current"); } }
    });
  }
  function find(q) {
    if (!index) { index = entries(); }
    q = q.trim().toLowerCase();
    matches = q ? index.filter(function (it) { return it.text.indexOf(q) >= 0; }) : [];
    at = -1;
    marks();
    var away = matches.filter(function (it) { return it.view !== current; }).length;
    counter.textContent = q ? (matches.length ? matches.length + " found" + (away ? " (" + away + " in other diagrams)" : "") : "none found") : "";
  }
  function memberNote(f, k, what) {
    return what + " is member " + k + " of " + f.names.length + " (counting from 0) of the fold " + f.names[0] + " … " + f.names[f.names.length - 1] +
      "; the frame draws " + f.names[0] + " for all of them (the same structure).";
  }
  function step(dir) {
    if (!matches.length) { return; }
    at = (at + dir + matches.length) % matches.length;
    var hit = matches[at];
    counter.textContent = (at + 1) + " of " + matches.length;
    show(hit.view);
    select(hit.id, true, hit.fold ? memberNote(hit.fold, hit.member, hit.fold.names[hit.member]) : "", hit.member);
    marks();
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
  function viewOf(call) { // the deepest inside that draws module call `call` as a box or frame of its own
    var found = "";
    Object.keys(diagrams).forEach(function (k) { if (k && diagrams[k].places[call] && (!found || depthOf(k) > depthOf(found))) { found = k; } });
    return found;
  }
  function depthOf(k) { var n = 0; for (; k; k = diagrams[k].parent) { n++; } return n; }
  function chooseRow(r) {
    var id = elementOf(r), call = r.getAttribute("data-id");
    var itself = id === call || id === "cl-" + call || id === "open-" + call;
    if (itself && diagrams[""].opens[id]) { show(""); enter(diagrams[""].opens[id], false); return; } // closed in the diagram: open it
    var inside = itself ? "" : viewOf(call);
    if (inside) { show(inside); history.replaceState(null, "", "#" + call); select(diagrams[inside].places[call], true); return; }
    show("");
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
  function inFold(id) { // a call run by a folded member (not the one drawn): the diagram, the fold's frame, the member
    var m = /^call-(\d+)$/.exec(id), n = m ? Number(m[1]) : -1, found = null;
    Object.keys(diagrams).forEach(function (key) { // the main diagram first (keys in page order), then the insides
      diagrams[key].folds.forEach(function (f) {
        f.spans.forEach(function (s, k) { if (!found && k && n >= s[0] && n <= s[1]) { found = { view: key, fold: f, member: k }; } });
      });
    });
    return found;
  }
  function fromHash() {
    var id = location.hash.slice(1);
    try { id = decodeURIComponent(id); } catch (e) { /* a malformed escape: use the fragment as written */ }
    if (!id) { return; }
    if (current && (panelsOf(current)[id] || el(id))) { select(id, true); return; }
    if (current && viewOf(id) === current) { select(diagrams[current].places[id], true); return; }
    show("");
    if (diagrams[""].opens[id]) { enter(diagrams[""].opens[id], false); return; } // a link to a closed module: its inside
    if (panels[id] || svg.getElementById(id)) { select(id, true); return; }
    var fold = inFold(id);
    if (fold) {
      var who = fold.fold.names[fold.member];
      show(fold.view);
      select(fold.fold.frame, true, memberNote(fold.fold, fold.member, id + " runs in " + who + ", which"), fold.member);
      return;
    }
    var inside = viewOf(id);
    if (inside) { show(inside); select(diagrams[inside].places[id], true); return; }
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
  var printedFrom = "", printedTheme = null;
  window.addEventListener("beforeprint", function () {
    printedFrom = current; // the print is the main diagram, whichever inside is open, on white paper
    show("");
    printedTheme = document.documentElement.getAttribute("data-theme");
    document.documentElement.removeAttribute("data-theme");
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
  window.addEventListener("afterprint", function () {
    pages.textContent = "";
    if (printedTheme) { document.documentElement.setAttribute("data-theme", printedTheme); }
    if (printedFrom) { show(printedFrom); }
  });

  // ---- the skip link, the theme ----
  document.getElementById("skip").addEventListener("click", function (evt) {
    evt.preventDefault();
    var r = rows.filter(function (x) { return x.tabIndex === 0 && !x.hidden; })[0] || visibleRows()[0];
    if (r) { r.focus(); } else { document.getElementById("filter").focus(); }
  });
  var themes = ["auto", "dark", "light"], themeButton = document.getElementById("theme");
  themeButton.addEventListener("click", function () {
    var next = themes[(themes.indexOf(themeButton.getAttribute("data-theme") || "auto") + 1) % themes.length];
    themeButton.setAttribute("data-theme", next);
    themeButton.textContent = "theme: " + next;
    themeButton.setAttribute("aria-label", "colour theme: " + (next === "auto" ? "follows the system" : next) + "; press for " + themes[(themes.indexOf(next) + 1) % themes.length]);
    if (next === "auto") { document.documentElement.removeAttribute("data-theme"); } else { document.documentElement.setAttribute("data-theme", next); }
  });

  // ---- gate diagrams: legible at first, zoomable like the main diagram ----
  Array.prototype.forEach.call(document.querySelectorAll("section.cell"), function (sec) {
    var box = sec.querySelector(".cell-diagram"), s = box && box.querySelector("svg");
    if (!s) { return; }
    var w = parseFloat(s.getAttribute("width")) * 4 / 3, h = parseFloat(s.getAttribute("height")) * 4 / 3; // pt to px
    var natural = medianText(s) * 4 / 3; // the median text at scale 1, in px
    var fit = function () { return Math.max(box.clientWidth - 2, 100) / w; };
    var scale = Math.max(Math.min(1, fit()), (BODY_PX * 0.8) / natural); // whole if it stays legible, else scroll
    function size() {
      scale = Math.min(Math.max(scale, Math.min(fit(), 0.25)), 4);
      s.style.width = w * scale + "px"; s.style.height = h * scale + "px";
    }
    s.setAttribute("preserveAspectRatio", "xMinYMin meet");
    size();
    sec.querySelector(".cell-zoom").addEventListener("click", function (evt) {
      var how = evt.target.getAttribute("data-zoom");
      if (how === "in") { scale *= 1.3; } else if (how === "out") { scale /= 1.3; } else if (how === "read") { scale = BODY_PX / natural; } else if (how === "fit") { scale = fit(); } else { return; }
      size();
    });
    box.addEventListener("keydown", function (evt) {
      if (evt.key === "+" || evt.key === "=") { scale *= 1.3; size(); } else if (evt.key === "-") { scale /= 1.3; size(); }
    });
    box.addEventListener("wheel", function (evt) {
      if (!(evt.ctrlKey || evt.metaKey)) { return; }
      evt.preventDefault();
      scale *= evt.deltaY > 0 ? 1 / 1.15 : 1.15;
      size();
    }, { passive: false });
  });

  opening();
  refresh();
  fromHash();
  if (window.ResizeObserver) { new ResizeObserver(function () { apply(); }).observe(holder); } else { window.addEventListener("resize", apply); }
})();
