// Suggestions under every search box (form[role=search]) while typing, from /api/suggest (kg.search).
// Keyboard: ArrowDown/ArrowUp move through them, Enter opens the chosen one (a name cluster's page or
// a paper), Escape closes the list; without a choice Enter submits the form as before. No framework.
(function () {
  "use strict";
  var DELAY = 120; // ms after the last key before asking
  var shown = 0;

  function rootOf(form) {
    return new URL(".", form.action || location.href); // the form's action is {root}clusters or {root}search
  }

  function target(root, s) {
    if (s.kind === "name") return new URL("clusters/" + encodeURIComponent(s.label), root).href;
    var path = new URL(s.iri).pathname.replace(/^\//, "");
    return new URL(path, root).href; // a paper's IRI, dereferenced by this server
  }

  function describe(s) {
    var bits = [];
    if (s.kind === "name") {
      if (s.rows > 1) bits.push(s.rows + " author rows"); // a cluster of several rows: homonyms, or one person's spellings
      bits.push(s.papers + (s.papers === 1 ? " paper" : " papers"));
      if (s.first) bits.push(s.first === s.last || !s.last ? String(s.first) : s.first + "–" + s.last);
      if (s.venue) bits.push(s.venue);
      if (s.persons && s.persons > 1) bits.push(s.persons + " probable persons");
    } else {
      if (s.year) bits.push(String(s.year));
      if (s.venue) bits.push(s.venue);
      if (s.authors && s.authors.length) bits.push(s.authors.join(", ") + (s.author_count > s.authors.length ? " et al." : ""));
      if (s.matched === "abstract") bits.push("in its abstract"); // the title lacks a typed word
    }
    return bits.join(" · ");
  }

  function attach(form) {
    var input = form.querySelector("input[type=search], input[type=text]");
    if (!input) return;
    var root = rootOf(form);
    var list = document.createElement("ul");
    var id = "kg-suggest-" + ++shown;
    list.id = id;
    list.className = "kg-suggest";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    list.style.cssText = "position:absolute;z-index:10;margin:0;padding:0;list-style:none;background:#fff;color:#1d2433;" +
      "border:1px solid #dde1e8;border-radius:4px;box-shadow:0 2px 8px rgba(0,0,0,.15);max-width:34em;text-align:left";
    document.body.appendChild(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", id);
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("autocomplete", "off");
    var items = [], active = -1, timer = null, asked = 0;

    function close() {
      list.hidden = true;
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function mark(k) {
      active = k;
      Array.prototype.forEach.call(list.children, function (li, j) {
        li.setAttribute("aria-selected", j === k ? "true" : "false");
        li.style.background = j === k ? "#e7ecfb" : "";
      });
      if (k >= 0) input.setAttribute("aria-activedescendant", id + "-" + k);
    }

    function show(found) {
      items = found;
      list.textContent = "";
      if (!found.length) return close();
      found.forEach(function (s, k) {
        var li = document.createElement("li");
        li.id = id + "-" + k;
        li.setAttribute("role", "option");
        li.dataset.kind = s.kind;
        li.style.cssText = "padding:.35em .6em;cursor:pointer;border-bottom:1px solid #eef1f6";
        var label = document.createElement("strong");
        label.textContent = s.label;
        var note = document.createElement("span");
        note.textContent = " " + describe(s);
        note.style.cssText = "color:#5b6475;font-size:.85em";
        li.appendChild(label);
        li.appendChild(note);
        li.addEventListener("mousedown", function (e) { e.preventDefault(); location.href = target(root, s); });
        list.appendChild(li);
      });
      var box = input.getBoundingClientRect();
      list.style.left = box.left + window.scrollX + "px";
      list.style.top = box.bottom + window.scrollY + 2 + "px";
      list.style.minWidth = box.width + "px";
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      mark(-1);
    }

    function ask() {
      var q = input.value.trim();
      if (!q) return close();
      var mine = ++asked;
      fetch(new URL("api/suggest?" + new URLSearchParams({q: q, limit: "8"}), root), {headers: {Accept: "application/json"}})
        .then(function (r) { return r.ok ? r.json() : {results: []}; })
        .then(function (data) { if (mine === asked) show(data.results || []); })
        .catch(function () { if (mine === asked) close(); });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, DELAY);
    });
    // Escape and leaving the box also drop the suggestions still to come (the keys' timer, the answer on
    // its way): a slow answer reopened the list the person had just closed
    function dismiss() {
      clearTimeout(timer);
      asked++;
      close();
    }

    input.addEventListener("keydown", function (e) {
      if (e.key === "Escape") {
        if (!list.hidden) e.preventDefault(); // the list first, not the text
        dismiss();
        return;
      }
      if (list.hidden) return;
      if (e.key === "ArrowDown") { e.preventDefault(); mark((active + 1) % items.length); }
      else if (e.key === "ArrowUp") { e.preventDefault(); mark(active <= 0 ? items.length - 1 : active - 1); }
      else if (e.key === "Enter" && active >= 0) { e.preventDefault(); location.href = target(root, items[active]); }
    });
    input.addEventListener("blur", function () { setTimeout(dismiss, 150); });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("form[role=search]"), attach);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
