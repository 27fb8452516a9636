// Static community search: fetch the generated index once, match every typed term as a
// substring of name, former names, street, address and district. Works for two-character
// Chinese terms (鼓楼, 花园) because it does not split words at all.
(function () {
  "use strict";
  var form = document.querySelector("form.search");
  if (!form) return;
  var input = form.querySelector("input");
  var out = document.getElementById("results");
  var page = form.getAttribute("data-community");  // a community's address, {key} its id
  var index = null, loading = null;

  function load() {
    if (!loading) {
      loading = fetch(form.getAttribute("data-index")).then(function (r) { return r.json(); })
        .then(function (rows) {
          index = rows.map(function (r) {
            return { row: r, text: [r.n, r.f, r.o, r.s, r.a, r.d, r.i].join(" ").toLowerCase() };
          });
        });
    }
    return loading;
  }

  function el(tag, text) { var e = document.createElement(tag); if (text) e.textContent = text; return e; }

  function show(query) {
    var terms = query.toLowerCase().split(/\s+/).filter(Boolean);
    out.textContent = "";
    if (!terms.length) return;
    var hits = index.filter(function (e) {
      return terms.every(function (t) { return e.text.indexOf(t) !== -1; });
    });
    out.appendChild(el("p", hits.length ? "找到 " + hits.length + " 个小区" + (hits.length > 30 ? "，显示前 30 个" : "") : "没有找到，换个关键词试试，或按区县查找。"));
    var ul = el("ul");
    hits.slice(0, 30).forEach(function (e) {
      var li = el("li"), a = el("a", e.row.n);
      a.href = page.replace("{key}", e.row.i);
      li.appendChild(a);
      li.appendChild(el("br"));
      li.appendChild(el("small", e.row.d + " · " + e.row.s + " · " + e.row.a + (e.row.f ? " · 曾用名 " + e.row.f : "")));
      ul.appendChild(li);
    });
    out.appendChild(ul);
  }

  form.addEventListener("submit", function (ev) { ev.preventDefault(); });
  input.addEventListener("focus", load);
  input.addEventListener("input", function () {
    var q = input.value;
    load().then(function () { if (input.value === q) show(q); });
  });
  var start = new URLSearchParams(location.search).get("q");
  if (start) { input.value = start; load().then(function () { show(start); }); }
})();
