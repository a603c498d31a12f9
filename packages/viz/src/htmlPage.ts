/**
 * The style and script of the page `toHtml` writes, as text to inline. The script reads the
 * model (plain JSON: attributes, boxes, clusters, edges, details) and puts every piece of graph
 * text into the page through `textContent` or Graphviz's escaped SVG, never as markup.
 * It is plain browser JavaScript with no template holes; test/viz/html.test.ts runs it in Chromium.
 */

export const PAGE_STYLE = String.raw`
html, body { margin: 0; height: 100%; font: 13px Helvetica, Arial, sans-serif; color: #212529; }
body { display: flex; flex-direction: column; }
#toolbar { display: flex; gap: 6px; align-items: center; padding: 6px 8px; border-bottom: 1px solid #dee2e6; background: #f8f9fa; }
#toolbar button { min-width: 30px; font: inherit; }
#status { color: #495057; }
#note { color: #868e96; }
#viewport { position: relative; flex: 1; overflow: hidden; cursor: grab; touch-action: none; }
#viewport.dragging { cursor: grabbing; }
#canvas { position: absolute; left: 0; top: 0; transform-origin: 0 0; }
#canvas svg { display: block; }
g.cluster.collapsible > path, g.cluster.collapsible > polygon { pointer-events: visible; cursor: pointer; }
g.node.expandable { cursor: pointer; }
#details { position: fixed; right: 10px; top: 44px; max-width: 380px; max-height: 80vh; overflow: auto; pointer-events: none;
  background: #fff; border: 1px solid #adb5bd; border-radius: 4px; padding: 6px 10px; box-shadow: 0 2px 8px rgba(0,0,0,.15); }
#details h2 { font-size: 14px; margin: 0 0 4px; overflow-wrap: anywhere; }
#details dl { display: grid; grid-template-columns: auto 1fr; gap: 2px 10px; margin: 0; }
#details dt { color: #868e96; }
#details dd { margin: 0; overflow-wrap: anywhere; white-space: pre-wrap; }
`;

export const PAGE_SCRIPT = String.raw`"use strict";
(function () {
  var model = JSON.parse(document.getElementById("model").textContent);
  var viewport = document.getElementById("viewport");
  var canvas = document.getElementById("canvas");
  var status = document.getElementById("status");
  var panel = document.getElementById("details");
  var collapsed = new Set(model.collapsed);
  var boxByName = new Map(model.boxes.map(function (box) { return [box.name, box]; }));
  var view = { x: 0, y: 0, scale: 1 };
  var graphviz = null;
  var busy = true;
  var renders = 0;
  document.getElementById("note").textContent = model.note || "";

  // A collapsed cluster is drawn as this box; the prefix keeps it apart from the graph's own box names.
  function collapsedName(cluster) { return "scope_" + cluster; }

  function clusterOf(name) {
    if (boxByName.has(name)) return -1;
    var match = /^(?:scope|cluster)_(\d+)$/.exec(name);
    return match === null ? -1 : Number(match[1]);
  }

  function withLabel(entry) {
    var attributes = Object.assign({}, model.styles[entry.style]);
    attributes.label = entry.label;
    return attributes;
  }

  // The outermost collapsed cluster around a cluster (itself included), or -1 when it is drawn open.
  function hiddenIn(cluster) {
    var found = -1;
    for (var at = cluster; at !== -1; at = model.clusters[at].parent) if (collapsed.has(at)) found = at;
    return found;
  }

  // The graph object viz-js lays out: open clusters nest, collapsed ones are one box, edges are rerouted to what is drawn.
  function compose() {
    var root = { directed: true, graphAttributes: model.graph, nodeAttributes: model.node, edgeAttributes: model.edge, nodes: [], edges: [], subgraphs: [] };
    var hidden = model.clusters.map(function (_, at) { return hiddenIn(at); });
    var groups = model.clusters.map(function (cluster, at) { return { name: "cluster_" + at, graphAttributes: cluster.attributes, nodes: [], subgraphs: [] }; });
    function holder(cluster) { return cluster === -1 ? root : groups[cluster]; }
    model.clusters.forEach(function (cluster, at) {
      if (hidden[at] === -1) holder(cluster.parent).subgraphs.push(groups[at]);
      else if (hidden[at] === at) holder(cluster.parent).nodes.push({ name: collapsedName(at), attributes: withLabel(cluster.box) });
    });
    var drawnAs = model.boxes.map(function (box) {
      var around = box.cluster === -1 ? -1 : hidden[box.cluster];
      return around === -1 ? box.name : collapsedName(around);
    });
    model.boxes.forEach(function (box, at) {
      if (drawnAs[at] === box.name) holder(box.cluster).nodes.push({ name: box.name, attributes: withLabel(box) });
    });
    // Edges between two drawn boxes stay one per input (x.mul(x) shows two); those into or out of a
    // collapsed box merge, and a merged edge looks like a gradient edge if any of its edges is one.
    var merged = new Map();
    model.edges.forEach(function (edge) {
      var tail = drawnAs[edge[0]], head = drawnAs[edge[1]];
      if (tail === head) return;
      var attributes = edge[2] === -1 ? {} : model.styles[edge[2]];
      if (tail === model.boxes[edge[0]].name && head === model.boxes[edge[1]].name) {
        root.edges.push({ tail: tail, head: head, attributes: attributes });
        return;
      }
      var key = tail + "\n" + head;
      var known = merged.get(key);
      if (known === undefined) {
        known = { tail: tail, head: head, attributes: attributes };
        merged.set(key, known);
        root.edges.push(known);
      } else if (edge[2] !== -1 && Object.keys(known.attributes).length === 0) {
        known.attributes = attributes;
      }
    });
    return root;
  }

  function apply() {
    canvas.style.transform = "translate(" + view.x + "px, " + view.y + "px) scale(" + view.scale + ")";
  }

  function zoomAt(x, y, factor) {
    var scale = Math.min(40, Math.max(0.01, view.scale * factor));
    var ratio = scale / view.scale;
    view.x = x - (x - view.x) * ratio;
    view.y = y - (y - view.y) * ratio;
    view.scale = scale;
    apply();
  }

  function zoomCenter(factor) {
    var frame = viewport.getBoundingClientRect();
    zoomAt(frame.width / 2, frame.height / 2, factor);
  }

  // The whole picture in view, never enlarged past its natural size.
  function fit() {
    var frame = viewport.getBoundingClientRect();
    var width = canvas.offsetWidth, height = canvas.offsetHeight;
    if (width === 0 || height === 0) return;
    view.scale = Math.min(1, (frame.width - 20) / width, (frame.height - 20) / height);
    view.x = (frame.width - width * view.scale) / 2;
    view.y = Math.max(10, (frame.height - height * view.scale) / 2);
    apply();
  }

  function drawn(name) {
    return Array.prototype.find.call(canvas.querySelectorAll("g.node, g.cluster"), function (g) { return g.dataset.name === name; });
  }

  function corner(name) {
    var element = drawn(name);
    if (element === undefined) return null;
    var rect = element.getBoundingClientRect();
    return { x: rect.left, y: rect.top };
  }

  // Graphviz's <title> holds the internal name: moved to data-name, so browsers show no "n12" tooltip.
  function annotate(svg) {
    svg.querySelectorAll("g.node, g.cluster").forEach(function (g) {
      var title = g.querySelector(":scope > title");
      if (title === null) return;
      g.dataset.name = title.textContent;
      title.remove();
      var cluster = clusterOf(g.dataset.name);
      if (cluster === -1) return;
      if (g.classList.contains("node")) g.classList.add("expandable");
      else if (model.clusters[cluster].box !== null) g.classList.add("collapsible");
    });
  }

  function nextFrame() {
    return new Promise(function (resolve) { requestAnimationFrame(function () { setTimeout(resolve, 0); }); });
  }

  // Lays out the current state; "anchor" keeps the clicked cluster (or its box) where it was on screen.
  async function render(anchor) {
    busy = true;
    status.textContent = "Laying out…";
    await nextFrame();
    var before = anchor ? corner(anchor.from) : null;
    try {
      var graph = compose();
      var svg = graphviz.renderSVGElement(graph);
      annotate(svg);
      canvas.replaceChildren(svg);
      var after = anchor ? corner(anchor.to) : null;
      if (before !== null && after !== null) {
        view.x += before.x - after.x;
        view.y += before.y - after.y;
        apply();
      } else if (renders === 0) {
        fit();
      }
      status.textContent = canvas.querySelectorAll("g.node").length + " boxes";
    } catch (error) {
      status.textContent = "Graphviz could not lay out the graph: " + (error && error.message);
    }
    renders++;
    document.body.dataset.renders = String(renders);
    busy = false;
  }

  function showDetails(details) {
    document.getElementById("details-title").textContent = details.title;
    var rows = document.getElementById("details-rows");
    rows.replaceChildren();
    details.rows.forEach(function (row) {
      var term = document.createElement("dt");
      term.textContent = row[0];
      var value = document.createElement("dd");
      value.textContent = row[1];
      rows.append(term, value);
    });
    panel.hidden = false;
  }

  function detailsOf(name) {
    var box = boxByName.get(name);
    if (box !== undefined) return box.details;
    var cluster = clusterOf(name);
    return cluster === -1 ? null : model.clusters[cluster].details;
  }

  canvas.addEventListener("mouseover", function (event) {
    var element = event.target.closest("g.node, g.cluster");
    var details = element === null ? null : detailsOf(element.dataset.name);
    if (details === null) panel.hidden = true;
    else showDetails(details);
  });
  canvas.addEventListener("mouseleave", function () { panel.hidden = true; });

  var drag = null;
  var dragged = false;
  viewport.addEventListener("pointerdown", function (event) {
    if (event.button !== 0) return;
    drag = { x: event.clientX, y: event.clientY, viewX: view.x, viewY: view.y };
    dragged = false;
  });
  window.addEventListener("pointermove", function (event) {
    if (drag === null) return;
    var dx = event.clientX - drag.x, dy = event.clientY - drag.y;
    if (!dragged && Math.hypot(dx, dy) < 4) return; // a click that wobbles is still a click
    dragged = true;
    viewport.classList.add("dragging");
    view.x = drag.viewX + dx;
    view.y = drag.viewY + dy;
    apply();
  });
  window.addEventListener("pointerup", function () {
    drag = null;
    viewport.classList.remove("dragging");
  });

  canvas.addEventListener("click", function (event) {
    if (dragged) {
      dragged = false;
      return;
    }
    var element = event.target.closest("g.node, g.cluster");
    if (element === null || busy) return;
    var name = element.dataset.name;
    var cluster = clusterOf(name);
    if (cluster === -1) return;
    if (element.classList.contains("expandable")) {
      collapsed.delete(cluster);
      render({ from: name, to: "cluster_" + cluster });
    } else if (element.classList.contains("collapsible")) {
      collapsed.add(cluster);
      render({ from: name, to: collapsedName(cluster) });
    }
  });

  viewport.addEventListener("wheel", function (event) {
    event.preventDefault();
    var frame = viewport.getBoundingClientRect();
    zoomAt(event.clientX - frame.left, event.clientY - frame.top, Math.exp(-event.deltaY * 0.002));
  }, { passive: false });
  document.getElementById("zoom-in").addEventListener("click", function () { zoomCenter(1.25); });
  document.getElementById("zoom-out").addEventListener("click", function () { zoomCenter(0.8); });
  document.getElementById("zoom-fit").addEventListener("click", fit);
  document.addEventListener("keydown", function (event) {
    if (event.key === "+" || event.key === "=") zoomCenter(1.25);
    else if (event.key === "-") zoomCenter(0.8);
    else if (event.key === "0") fit();
  });

  Viz.instance().then(function (instance) {
    graphviz = instance;
    return render(null);
  }, function (error) {
    status.textContent = "Could not start Graphviz: " + (error && error.message);
  });
})();
`;
