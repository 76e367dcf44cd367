(function () {
  "use strict";
  var specs = JSON.parse(document.getElementById("qi-charts").textContent);
  var charts = [];
  specs.forEach(function (s) {
    var el = document.getElementById(s.id);
    if (!el) return;
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption(s.option);
    charts.push(chart);
  });
  function fit(width) {
    charts.forEach(function (c) { c.resize(width ? { width: width } : undefined); });
  }
  window.addEventListener("resize", function () { fit(); });
  // An A4 page less its margins is about 700 CSS pixels wide.
  window.addEventListener("beforeprint", function () { fit(700); });
  window.addEventListener("afterprint", function () { fit(); });

  function key(td) {
    if (!td) return "";
    var v = td.getAttribute("data-v");
    if (v === null) return td.textContent;
    return v === "" ? -Infinity : parseFloat(v);
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.querySelectorAll("th");
    heads.forEach(function (th, k) {
      th.addEventListener("click", function () {
        var up = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", up ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a.cells[k]), y = key(b.cells[k]);
          var r = typeof x === "number" && typeof y === "number"
            ? (x === y ? 0 : x < y ? -1 : 1)
            : String(x).localeCompare(String(y));
          return up ? r : -r;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
})();
