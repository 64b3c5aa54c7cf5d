// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Filters and the sort control apply as soon as they change.
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-autosubmit]") && el.form) {
      el.form.submit();
    }
  });

  // Autocomplete for the search box (a listbox driven by the arrow keys).
  var input = document.getElementById("site-search");
  if (!input) { return; }
  var list = document.getElementById("site-search-suggestions");
  var url = input.getAttribute("data-suggest-url");
  var active = -1;
  var timer = null;
  var items = [];

  function close() {
    list.hidden = true;
    list.innerHTML = "";
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
    items = [];
  }

  function choose(item) {
    if (item.kind === "title" && item.slug) {
      window.location.href = "/practices/" + encodeURIComponent(item.slug);
      return;
    }
    input.value = item.text;
    close();
    input.form.submit();
  }

  function render(results) {
    list.innerHTML = "";
    items = results;
    if (!results.length) { close(); return; }
    results.forEach(function (item, i) {
      var li = document.createElement("li");
      li.id = "suggestion-" + i;
      li.setAttribute("role", "option");
      li.textContent = item.text;
      var kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = item.kind_label || item.kind;
      li.appendChild(kind);
      li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(item); });
      list.appendChild(li);
    });
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  function highlight(index) {
    var options = list.querySelectorAll("li");
    options.forEach(function (li, i) { li.setAttribute("aria-selected", i === index ? "true" : "false"); });
    active = index;
    if (index >= 0 && options[index]) {
      input.setAttribute("aria-activedescendant", options[index].id);
    }
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    var q = input.value.trim();
    if (q.length < 2) { close(); return; }
    timer = setTimeout(function () {
      fetch(url + "?q=" + encodeURIComponent(q), { headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(render)
        .catch(close);
    }, 150);
  });

  input.addEventListener("keydown", function (event) {
    if (list.hidden) { return; }
    if (event.key === "ArrowDown") { event.preventDefault(); highlight(Math.min(active + 1, items.length - 1)); }
    else if (event.key === "ArrowUp") { event.preventDefault(); highlight(Math.max(active - 1, 0)); }
    else if (event.key === "Enter" && active >= 0) { event.preventDefault(); choose(items[active]); }
    else if (event.key === "Escape") { close(); }
  });
  input.addEventListener("blur", function () { setTimeout(close, 100); });
})();

// The practice editor: live preview through the server's sanitizing renderer, outcome rows.
(function () {
  "use strict";
  var body = document.querySelector("[data-preview-url]");
  if (body) {
    var target = document.getElementById(body.getAttribute("data-preview-target"));
    var token = body.form.querySelector("input[name=csrf_token]").value;
    var timer = null;
    body.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var data = new FormData();
        data.append("body", body.value);
        fetch(body.getAttribute("data-preview-url"), {
          method: "POST", body: data, headers: { "X-CSRFToken": token },
          credentials: "same-origin"
        }).then(function (r) { return r.ok || r.status === 413 ? r.json() : null; })
          .then(function (json) {
            if (json && json.error) { target.textContent = json.error; }
            else if (json) { target.innerHTML = json.html; }
          });
      }, 300);
    });
  }

  var rows = document.getElementById("outcome-rows");
  if (!rows) { return; }
  function renumber() {
    rows.querySelectorAll("[data-row]").forEach(function (row, i) {
      row.querySelectorAll("input, select").forEach(function (el) {
        el.name = el.name.replace(/^outcome-\d+-/, "outcome-" + i + "-");
        el.id = el.id.replace(/^f-outcome-\d+-/, "f-outcome-" + i + "-");
      });
      row.querySelectorAll("label").forEach(function (label) {
        label.htmlFor = label.htmlFor.replace(/^f-outcome-\d+-/, "f-outcome-" + i + "-");
      });
      var legend = row.querySelector("legend");
      if (legend) { legend.textContent = legend.textContent.replace(/\d+/, String(i + 1)); }
    });
  }
  rows.addEventListener("click", function (event) {
    if (event.target.matches("[data-remove-row]")) {
      var all = rows.querySelectorAll("[data-row]");
      var row = event.target.closest("[data-row]");
      if (all.length > 1) { row.remove(); } else {
        row.querySelectorAll("input").forEach(function (el) { el.value = ""; });
      }
      renumber();
    }
  });
  var add = document.querySelector("[data-add-row]");
  if (add) {
    add.addEventListener("click", function (event) {
      event.preventDefault();
      var last = rows.querySelector("[data-row]:last-of-type");
      var copy = last.cloneNode(true);
      copy.querySelectorAll("input").forEach(function (el) { el.value = ""; el.removeAttribute("aria-invalid"); });
      copy.querySelectorAll("select").forEach(function (el) { el.selectedIndex = 0; });
      copy.querySelectorAll(".error").forEach(function (el) { el.remove(); });
      rows.appendChild(copy);
      renumber();
      copy.querySelector("input").focus();
    });
  }
})();

// The search filters fold behind their button on a narrow screen, so the results come first;
// on a wide screen they stay open beside the results.
(function () {
  "use strict";
  var panel = document.querySelector("[data-fold-narrow]");
  if (!panel || !window.matchMedia) { return; }
  var narrow = window.matchMedia("(max-width: 52rem)");
  function fit() { panel.open = !narrow.matches; }
  fit();
  if (narrow.addEventListener) { narrow.addEventListener("change", fit); }
})();

// A table in a practice's text scrolls sideways in its own region, which the keyboard reaches.
(function () {
  "use strict";
  function wrapTables(root) {
    root.querySelectorAll("table").forEach(function (table) {
      if (table.closest(".table-scroll")) { return; }
      var region = document.createElement("div");
      region.className = "table-scroll";
      region.setAttribute("role", "region");
      region.setAttribute("tabindex", "0");
      region.setAttribute("aria-label", root.getAttribute("data-table-label") || "Table");
      table.parentNode.insertBefore(region, table);
      region.appendChild(table);
    });
  }
  document.querySelectorAll("[data-table-label]").forEach(function (root) {
    wrapTables(root);
    if (window.MutationObserver) {  // the editor's live preview replaces its content
      new MutationObserver(function () { wrapTables(root); }).observe(root, { childList: true });
    }
  });
})();

// The editor keeps a copy of the form in this browser while one writes, so a closed tab or
// a lost connection loses nothing; the copy is offered back when the form opens without it.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.localStorage) { return; }
  var key = "kb-editor:" + form.getAttribute("data-autosave");
  var status = form.querySelector("[data-autosave-status]");
  var skip = { csrf_token: 1, base_revision_id: 1, base_hash: 1, action: 1, document: 1 };

  function fields() {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || skip[el.name] || el.type === "file" || el.type === "submit" ||
          el.type === "button") { return; }
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) { return; }
      (out[el.name] = out[el.name] || []).push(el.value);
    });
    return out;
  }
  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }
  function clock(ms) {
    return new Date(ms).toLocaleTimeString(document.documentElement.lang || undefined,
                                           { hour: "2-digit", minute: "2-digit" });
  }
  function restore(saved) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || skip[el.name] || !(el.name in saved)) { return; }
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = saved[el.name].indexOf(el.value) !== -1;
      } else {
        var values = saved[el.name];
        var peers = form.querySelectorAll("[name='" + el.name + "']");
        var i = Array.prototype.indexOf.call(peers, el);
        if (i < values.length) { el.value = values[i]; }
      }
    });
  }

  var stored = null;
  try { stored = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { stored = null; }
  var start = fields();
  if (stored && stored.fields && !same(stored.fields, start)) {
    var offer = form.querySelector("[data-autosave-offer]");
    var text = offer.querySelector("[data-autosave-offer-text]");
    text.textContent = text.getAttribute("data-text").replace("{time}", clock(stored.at));
    offer.hidden = false;
    offer.querySelector("[data-autosave-restore]").addEventListener("click", function () {
      restore(stored.fields);
      offer.hidden = true;
      form.querySelector("input:not([type=hidden]), textarea, select").focus();
    });
    offer.querySelector("[data-autosave-discard]").addEventListener("click", function () {
      localStorage.removeItem(key);
      offer.hidden = true;
    });
  } else if (stored) {
    localStorage.removeItem(key);  // the server has this text now
  }

  // a new practice's copy is done with once that practice has been saved and reopened
  var fresh = "kb-editor:" + (form.getAttribute("data-autosave-new") || "");
  if (fresh !== key && fresh !== "kb-editor:") {
    try {
      var first = JSON.parse(localStorage.getItem(fresh) || "null");
      if (first && first.fields && same(first.fields.title, start.title)) {
        localStorage.removeItem(fresh);
      }
    } catch (e) { localStorage.removeItem(fresh); }
  }

  var timer = null;
  function save() {
    var now = fields();
    if (same(now, start) && !localStorage.getItem(key)) { return; }
    try {
      localStorage.setItem(key, JSON.stringify({ at: Date.now(), fields: now }));
      status.textContent = form.getAttribute("data-autosave-saved").replace("{time}", clock(Date.now()));
    } catch (e) { /* storage full or refused: the server save still works */ }
  }
  form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(save, 800); });
  form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(save, 200); });
})();

// A long list of choices (themes, countries, languages, a long search facet) gets a box that
// filters it as one types: by its name in any of the interface languages, or by its code.
// Chosen items always stay in view; Enter moves to the list instead of sending the form.
(function () {
  "use strict";
  function fold(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  document.querySelectorAll("[data-picker-filter]").forEach(function (box) {
    var target = document.getElementById(box.getAttribute("data-picker-filter"));
    if (!target) { return; }
    var input = box.querySelector("input");
    var count = box.querySelector("[data-text]");
    var isSelect = target.tagName === "SELECT";
    var items = Array.prototype.slice.call(target.querySelectorAll("[data-terms]"));
    box.hidden = false;
    // a long search facet carries only its most frequent values; the others are fetched,
    // in the same markup, the first time the box is used (without them: the "more" link)
    var source = box.getAttribute("data-picker-source");
    function fetchAll() {
      if (!source || !window.fetch) { return; }
      var url = source;
      source = null;
      fetch(url, { headers: { "Accept": "text/html" } }).then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.text();
      }).then(function (html) {
        var ticked = {};
        target.querySelectorAll("input:checked").forEach(function (c) { ticked[c.value] = true; });
        var focused = document.activeElement && target.contains(document.activeElement)
          ? document.activeElement.value : null;
        target.innerHTML = html;
        target.querySelectorAll("input[type=checkbox]").forEach(function (c) {
          c.checked = Boolean(ticked[c.value]);
          if (c.value === focused) { c.focus(); }
        });
        items = Array.prototype.slice.call(target.querySelectorAll("[data-terms]"));
        apply();
      }).catch(function () { /* the "more" link still lists every value */ });
    }

    function chosen(item) {
      if (isSelect) { return item.selected; }
      var check = item.querySelector("input");
      return Boolean(check && check.checked);
    }
    function firstShown() {
      if (isSelect) { return target; }
      var item = items.filter(function (i) { return !i.hidden; })[0];
      return item ? item.querySelector("input") : null;
    }
    function apply() {
      var words = fold(input.value).split(/\s+/).filter(Boolean);
      var matches = [];
      items.forEach(function (item) {
        var terms = item.getAttribute("data-terms");
        var match = words.length > 0 && words.every(function (w) { return terms.indexOf(w) !== -1; });
        if (match) { matches.push(item); }
        var show = words.length ? match || chosen(item) : !item.hasAttribute("data-overflow") || chosen(item);
        item.hidden = !show;
        if (isSelect) { item.disabled = !show; }
      });
      if (!words.length) { count.textContent = ""; return; }
      if (isSelect && matches.length === 1 && !matches[0].selected) {
        matches[0].selected = true;
        target.dispatchEvent(new Event("change", { bubbles: true }));
        count.textContent = count.getAttribute("data-chosen").replace("{name}", matches[0].textContent);
        return;
      }
      count.textContent = count.getAttribute("data-text")
        .replace("{shown}", String(matches.length)).replace("{total}", String(items.length));
    }
    input.addEventListener("focus", fetchAll);
    input.addEventListener("input", apply);
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        var next = firstShown();
        if (next) { next.focus(); }
      } else if (event.key === "Escape" && input.value) {
        event.preventDefault();
        input.value = "";
        apply();
      }
    });
  });
})();

// The region picker offers the regions of the country chosen in the form.
(function () {
  "use strict";
  var country = document.querySelector("select[data-regions-url]");
  if (!country || !window.fetch) { return; }
  var list = document.getElementById(country.getAttribute("data-regions-list"));
  if (!list) { return; }
  country.addEventListener("change", function () {
    var url = country.getAttribute("data-regions-url") + "?country=" + encodeURIComponent(country.value);
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (regions) {
        list.innerHTML = "";
        regions.forEach(function (region) {
          var option = document.createElement("option");
          option.value = region.value;
          if (region.label !== region.value) { option.label = region.label; }
          list.appendChild(option);
        });
      })
      .catch(function () { /* the region stays free text */ });
  });
})();

// Tag suggestions while typing: glossary labels in the reader's language and tags in use,
// offered through the input's <datalist> (the browser lists them accessibly).
(function () {
  var input = document.querySelector("input[data-tag-suggest]");
  if (!input || !window.fetch) { return; }
  var list = document.getElementById(input.getAttribute("list"));
  var timer = null, last = "";
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var q = input.value.trim();
      if (q.length < 2 || q === last) { return; }
      last = q;
      var url = input.getAttribute("data-tag-suggest");
      url += (url.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(q);
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); })
        .then(function (items) {
          list.textContent = "";
          items.forEach(function (text) {
            var option = document.createElement("option");
            option.value = text;
            list.appendChild(option);
          });
        }).catch(function () { /* suggestions are a help, typing still works */ });
    }, 200);
  });
})();
