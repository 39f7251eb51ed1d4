"use strict";
(function () {
  var panels = JSON.parse(document.getElementById("panels").textContent);
  var holder = document.getElementById("diagram");
  var svg = holder.querySelector("svg");
  var panel = document.getElementById("panel");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#layer-table tbody tr"));

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
      keys.forEach(function (k) { tr.appendChild(text("td", String(item[k]))); });
      t.appendChild(tr);
    });
    return t;
  }

  function section(body, title, node) {
    body.appendChild(text("h3", title));
    body.appendChild(node);
  }

  function showPanel(id) {
    var info = panels[id];
    if (!info) { panel.hidden = true; return; }
    document.getElementById("panel-title").textContent = info.title;
    document.getElementById("panel-type").textContent = info.type + (info.loop > 1 ? "  ·  ×" + info.loop + " steps (loop)" : "");
    var body = document.getElementById("panel-body");
    body.textContent = "";
    if (info.error) { section(body, "error", text("pre", info.error, "error")); }
    if (info.inputs.length) { section(body, "inputs", table(["argument", "shape", "dtype"], info.inputs, ["path", "shape", "dtype"])); }
    if (info.outputs.length) { section(body, "outputs", table(["output", "shape", "dtype"], info.outputs, ["path", "shape", "dtype"])); }
    if (info.params.length) {
      section(body, "parameters (" + info.total_params + " in all)", table(["name", "shape", "count"], info.params, ["name", "shape", "count"]));
    } else if (info.total_params !== "0") {
      section(body, "parameters", text("p", info.total_params + " in its submodules"));
    }
    if (info.source) { section(body, "source", text("code", info.source)); }
    if (info.gates.length) {
      section(body, "gates", table(["gate", "activation", "output", "weights", "error"], info.gates, ["name", "activation", "shape", "weights", "error"]));
      info.cells.forEach(function (cid) {
        var a = text("a", "gate diagram " + cid);
        a.href = "#" + cid;
        body.appendChild(a);
        body.appendChild(document.createTextNode(" "));
      });
    }
    panel.hidden = false;
  }

  function select(id, scroll) {
    Array.prototype.forEach.call(svg.querySelectorAll(".selected"), function (el) { el.classList.remove("selected"); });
    rows.forEach(function (r) { r.classList.toggle("selected", r.getAttribute("data-element") === id); });
    var el = id ? svg.getElementById(id) : null;
    if (el) {
      el.classList.add("selected");
      if (scroll) { centre(el); }
    }
    showPanel(id);
  }

  // ---- pan and zoom through the viewBox ----
  var base = svg.viewBox.baseVal;
  var home = { x: base.x, y: base.y, w: base.width, h: base.height };
  var view = { x: home.x, y: home.y, w: home.w, h: home.h };
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  function apply() { svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].join(" ")); }
  function zoom(factor, cx, cy) {
    var nx = cx - (cx - view.x) * factor, ny = cy - (cy - view.y) * factor;
    view = { x: nx, y: ny, w: view.w * factor, h: view.h * factor };
    apply();
  }
  function centre(el) {
    var b = el.getBBox();
    var cx = b.x + b.width / 2, cy = b.y + b.height / 2;
    var outer = svg.getScreenCTM(), inner = el.getScreenCTM();
    if (outer && inner) {
      var m = outer.inverse().multiply(inner);
      var px = m.a * cx + m.c * cy + m.e, py = m.b * cx + m.d * cy + m.f;
      cx = px;
      cy = py;
    }
    view.x = cx - view.w / 2;
    view.y = cy - view.h / 2;
    apply();
  }
  function point(evt) {
    var r = svg.getBoundingClientRect();
    return { x: view.x + (evt.clientX - r.left) / r.width * view.w, y: view.y + (evt.clientY - r.top) / r.height * view.h };
  }
  holder.addEventListener("wheel", function (evt) {
    evt.preventDefault();
    var p = point(evt);
    zoom(evt.deltaY > 0 ? 1.15 : 1 / 1.15, p.x, p.y);
  }, { passive: false });
  var drag = null;
  holder.addEventListener("pointerdown", function (evt) { drag = { x: evt.clientX, y: evt.clientY, moved: false }; });
  window.addEventListener("pointerup", function () { setTimeout(function () { drag = null; }, 0); });
  holder.addEventListener("pointermove", function (evt) {
    if (!drag) { return; }
    var r = svg.getBoundingClientRect();
    var dx = evt.clientX - drag.x, dy = evt.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) { drag.moved = true; }
    view.x -= dx / r.width * view.w;
    view.y -= dy / r.height * view.h;
    drag.x = evt.clientX;
    drag.y = evt.clientY;
    apply();
  });
  document.getElementById("zoom-in").addEventListener("click", function () { zoom(1 / 1.3, view.x + view.w / 2, view.y + view.h / 2); });
  document.getElementById("zoom-out").addEventListener("click", function () { zoom(1.3, view.x + view.w / 2, view.y + view.h / 2); });
  document.getElementById("zoom-fit").addEventListener("click", function () { view = { x: home.x, y: home.y, w: home.w, h: home.h }; apply(); });

  // ---- clicking the diagram ----
  svg.addEventListener("click", function (evt) {
    if (drag && drag.moved) { return; }
    var target = evt.target.closest("g.node, g.cluster");
    var link = evt.target.closest("a");
    if (link) { evt.preventDefault(); }
    if (!target || !target.id) { return; }
    if (target.id === "legend" || target.id === "legend-table") { return; }
    history.replaceState(null, "", "#" + target.id);
    select(target.id, false);
  });
  document.getElementById("panel-close").addEventListener("click", function () { panel.hidden = true; });

  // ---- the layer table: select, sort, filter ----
  rows.forEach(function (r) {
    r.addEventListener("click", function () {
      var id = r.getAttribute("data-element");
      history.replaceState(null, "", "#" + id);
      select(id, true);
    });
  });
  var tbody = document.querySelector("#layer-table tbody");
  Array.prototype.forEach.call(document.querySelectorAll("#layer-table th[data-key]"), function (th, col) {
    th.addEventListener("click", function () {
      var asc = !th.classList.contains("sorted-asc");
      Array.prototype.forEach.call(th.parentNode.children, function (o) { o.classList.remove("sorted-asc", "sorted-desc"); });
      th.classList.add(asc ? "sorted-asc" : "sorted-desc");
      var numeric = th.hasAttribute("data-num");
      rows.sort(function (a, b) {
        var x = a.children[col].textContent, y = b.children[col].textContent;
        var c = numeric ? Number(x.replace(/,/g, "")) - Number(y.replace(/,/g, "")) : x.trim().localeCompare(y.trim());
        return asc ? c : -c;
      });
      rows.forEach(function (r) { tbody.appendChild(r); });
    });
  });
  document.getElementById("filter").addEventListener("input", function (evt) {
    var q = evt.target.value.toLowerCase();
    rows.forEach(function (r) { r.hidden = q !== "" && r.textContent.toLowerCase().indexOf(q) < 0; });
  });

  // ---- the URL hash selects a node, so a link can point at one layer ----
  function fromHash() {
    var id = location.hash.slice(1);
    try { id = decodeURIComponent(id); } catch (e) { /* a malformed escape: use the fragment as written */ }
    if (id && (panels[id] || svg.getElementById(id))) { select(id, true); }
  }
  window.addEventListener("hashchange", fromHash);
  fromHash();
})();
