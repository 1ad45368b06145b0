// The query page: YASGUI when it was vendored (npm run vendor), else a plain editor. Both are
// preloaded with the named queries of queries/*.rq. Nothing is fetched from another site.
(function () {
  "use strict";
  var queries = JSON.parse(document.getElementById("named-queries").textContent);
  var endpoint = new URL("sparql", document.baseURI).href;
  if (window.Yasgui) {
    var yasgui = new window.Yasgui(document.getElementById("yasgui"), {
      requestConfig: { endpoint: endpoint, method: "POST" },
      copyEndpointOnNewTab: true,
      autoAddOnInit: false,
      persistenceId: null,
      yasqe: { lineWrapping: true }  // long lines wrap: the editor never scrolls sideways on a phone
    });
    queries.forEach(function (q, i) {  // the first tab is the active one: the page opens on it
      yasgui.addTab(i === 0, { name: q.name, yasqe: { value: q.text, lineWrapping: true } });
    });
    accessible(document.getElementById("yasgui"));
    return;
  }
  document.getElementById("plain").hidden = false;
  var select = document.getElementById("named");
  var text = document.getElementById("query");
  queries.forEach(function (q, i) {
    var opt = document.createElement("option");
    opt.value = String(i);
    opt.textContent = q.name + " — " + q.title;
    select.appendChild(opt);
  });
  function load() { if (queries.length) text.value = queries[Number(select.value)].text; }
  select.addEventListener("change", load);
  load();
  document.getElementById("run").addEventListener("click", function () {
    var status = document.getElementById("status");
    var out = document.getElementById("out");
    status.textContent = "running…";
    var body = new URLSearchParams({ query: text.value, format: document.getElementById("format").value });
    var t0 = performance.now();
    fetch(endpoint, { method: "POST", body: body }).then(function (r) {
      return r.text().then(function (t) {
        status.textContent = r.status + " in " + Math.round(performance.now() - t0) + " ms";
        out.textContent = t;
      });
    }, function (e) { status.textContent = String(e); });
  });

  // What YASGUI leaves out for assistive technology (axe-core, tests/test_accessibility.py): names for
  // its editor's text areas and inputs, tabs that control only panels that exist, and a tab list
  // holding only tabs (its "add a tab" button is moved after it). Applied again when YASGUI redraws.
  function accessible(root) {
    function fix() {
      root.querySelectorAll("textarea:not([aria-label]), input:not([aria-label])").forEach(function (e) {
        if (!e.labels || !e.labels.length) e.setAttribute("aria-label", e.tagName === "TEXTAREA" ? "SPARQL query" : (e.placeholder || "Query option"));
      });
      root.querySelectorAll(".CodeMirror-scroll:not([tabindex=\"0\"])").forEach(function (e) {
        e.setAttribute("tabindex", "0");  // a region that scrolls is reachable by keyboard
      });
      root.querySelectorAll("[role=tab][aria-controls]").forEach(function (t) {
        if (!document.getElementById(t.getAttribute("aria-controls"))) t.removeAttribute("aria-controls");
      });
      root.querySelectorAll("[role=tablist]").forEach(function (list) {
        Array.prototype.slice.call(list.children).forEach(function (c) {
          if (!c.querySelector("[role=tab]")) list.parentNode.insertBefore(c, list.nextSibling);
        });
      });
    }
    fix();
    var pending = false;
    new MutationObserver(function () {
      if (pending) return;
      pending = true;
      window.requestAnimationFrame(function () { pending = false; fix(); });
    }).observe(root, { childList: true, subtree: true, attributes: true, attributeFilter: ["aria-controls"] });
  }
})();
