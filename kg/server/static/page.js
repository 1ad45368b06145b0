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
      persistenceId: null
    });
    queries.forEach(function (q, i) {  // the first tab is the active one: the page opens on it
      yasgui.addTab(i === 0, { name: q.name, yasqe: { value: q.text } });
    });
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
})();
