"use strict";
// Refreshes the status page from api/v1/status. Values are written with
// textContent and setAttribute only: nothing from the JSON becomes markup.
(function () {
  var seconds = Number(document.body.getAttribute("data-refresh-seconds")) || 5;
  var banner = document.getElementById("banner");

  function setText(el, text) {
    if (el && el.textContent !== text) el.textContent = text;
  }

  function fill(root, selector, attr, values) {
    root.querySelectorAll(selector).forEach(function (el) {
      var key = el.getAttribute(attr);
      if (Object.prototype.hasOwnProperty.call(values, key)) setText(el, String(values[key]));
    });
  }

  // Replaces the children of a <dl> with <dt>label</dt><dd>text</dd> pairs.
  function pairs(dl, items) {
    var nodes = [];
    items.forEach(function (item) {
      var dt = document.createElement("dt");
      dt.textContent = item[0];
      var dd = document.createElement("dd");
      dd.textContent = item[1];
      nodes.push(dt, dd);
    });
    dl.replaceChildren.apply(dl, nodes);
  }

  function labelled(items) {
    return items.map(function (i) { return [i.label, i.text]; });
  }

  function update(section, p) {
    var display = {};
    p.display.forEach(function (kv) { display[kv[0]] = kv[1]; });
    fill(section, "[data-text]", "data-text", display);
    fill(section, "[data-field]", "data-field", {
      project: p.project, status: p.status, status_reason: p.status_reason,
      loki_dir: p.loki_dir, warning_count: p.warnings.length
    });
    section.querySelector("[data-status]").setAttribute("data-status", p.status);
    section.querySelector("[data-level]").setAttribute("data-level", p.budget_level);
    var progress = section.querySelector("[data-progress=iteration]");
    progress.setAttribute("max", String(Math.max(1, p.iteration_max)));
    progress.setAttribute("value", String(p.iteration));
    var meter = section.querySelector("[data-meter=budget]");
    var limit = p.budget_limit_usd > 0 ? p.budget_limit_usd : Math.max(1, p.cost_usd);
    var warn = p.budget_limit_usd > 0 ? limit * 0.8 : limit;
    var critical = p.budget_limit_usd > 0 ? limit * 0.9 : limit;
    meter.setAttribute("max", String(limit));
    meter.setAttribute("low", String(warn));
    meter.setAttribute("high", String(critical));
    meter.setAttribute("value", String(p.cost_usd));
    var lists = {
      tasks: labelled(p.tasks), model_cost_usd: labelled(p.model_cost_usd), tokens: labelled(p.tokens),
      receipts_by_verdict: labelled(p.receipts_by_verdict), checklist: labelled(p.checklist), info: p.info
    };
    section.querySelectorAll("[data-list]").forEach(function (dl) {
      var items = lists[dl.getAttribute("data-list")];
      if (items) pairs(dl, items);
    });
    p.charts.forEach(function (c) {
      var line = section.querySelector('[data-chart="' + CSS.escape(c.key) + '"]');
      if (line) line.setAttribute("points", c.points);
      setText(section.querySelector('[data-chart-range="' + CSS.escape(c.key) + '"]'), c.range_text);
    });
    var ul = section.querySelector("[data-warnings]");
    ul.replaceChildren.apply(ul, p.warnings.map(function (w) {
      var li = document.createElement("li");
      var code = document.createElement("code");
      code.textContent = w.source;
      li.append(code, " " + w.message);
      return li;
    }));
  }

  function apply(page) {
    var sections = document.querySelectorAll("section[data-project]");
    var same = sections.length === page.projects.length && page.projects.every(function (p, i) {
      return sections[i].getAttribute("data-name") === p.project;
    });
    if (!same) {
      // The projects changed: the server renders the new set.
      window.location.reload();
      return;
    }
    page.projects.forEach(function (p, i) { update(sections[i], p); });
    if (page.projects.length === 1) {
      document.title = page.projects[0].project + " · " + page.projects[0].status + " · loki-metrics";
    }
    setText(document.querySelector("[data-field=generated_at]"),
      "updated " + new Date(page.generated_at * 1000).toISOString().replace(/\.\d+Z$/, "Z") + " · version " + page.version);
    banner.hidden = true;
    document.body.setAttribute("data-updates", String(Number(document.body.getAttribute("data-updates") || 0) + 1));
  }

  function refresh() {
    fetch("api/v1/status", { headers: { Accept: "application/json" }, cache: "no-store", credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error("the exporter answered " + r.status);
        return r.json();
      })
      .then(apply)
      .catch(function (e) {
        setText(banner, "Cannot reach the exporter (" + e.message + "); showing the last values, retrying every " + seconds + " s.");
        banner.hidden = false;
      })
      .finally(function () { window.setTimeout(refresh, seconds * 1000); });
  }

  window.setTimeout(refresh, seconds * 1000);
})();
