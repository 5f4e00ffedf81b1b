// The trend charts (templates/trends/_chart.html): each .trend-chart is drawn with ECharts from the JSON data block
// named by its data-chart (json_script). The numbers are also in the table under the chart. When drawn, the chart
// element gets data-state="drawn" (the browser tests wait for it). Canvas renderer: headless Chromium draws it.
// Tooltips are drawn on the canvas too (renderMode "richText"): ECharts' HTML tooltips carry style attributes, which
// the Content-Security-Policy refuses (docs/decisions/0018-csp.md).
(function () {
  "use strict";
  if (!window.echarts) { return; }
  var GREY = "#8a939c";

  function line(name, data, extra) {
    return Object.assign({ name: name, type: "line", data: data, connectNulls: false, showSymbol: true }, extra || {});
  }

  function village(data) {
    var tiers = data.tiers || {};
    return {
      animation: false,
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { top: 0 },
      grid: [{ left: 56, right: 56, top: 40, height: "42%" }, { left: 56, right: 56, top: "62%", height: "28%" }],
      xAxis: [{ type: "category", data: data.weeks, gridIndex: 0 }, { type: "category", data: data.weeks, gridIndex: 1 }],
      yAxis: [
        { type: "value", name: data.labels.composite, min: 0, max: 100, gridIndex: 0 },
        { type: "value", name: data.labels.position, inverse: true, minInterval: 1, gridIndex: 0 },
        { type: "value", min: 0, max: 1, gridIndex: 1 },
      ],
      series: [
        line(data.labels.composite, data.composite.map(function (value, i) {
          var tier = tiers[data.tier[i]];
          return { value: value, itemStyle: { color: tier ? tier.colour : GREY } };
        }), { symbolSize: 12, lineStyle: { width: 3, color: "#3b5b7d" } }),
        line(data.labels.position, data.position, { yAxisIndex: 1, lineStyle: { type: "dashed" } }),
        line(data.labels.p_town, data.p_town, { xAxisIndex: 1, yAxisIndex: 2 }),
        line(data.labels.p_inspection, data.p_inspection, { xAxisIndex: 1, yAxisIndex: 2 }),
        line(data.labels.p_drone, data.p_drone, { xAxisIndex: 1, yAxisIndex: 2 }),
      ],
    };
  }

  function town(data) {
    return {
      animation: false,
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { top: 0 },
      grid: { left: 56, right: 24, top: 40, bottom: 40 },
      xAxis: { type: "category", data: data.weeks },
      yAxis: { type: "value", name: data.labels.count, minInterval: 1 },
      series: ["green", "yellow", "red"].map(function (tier) {
        return { name: data.tiers[tier].label, type: "bar", stack: "tiers", data: data.counts[tier],
          itemStyle: { color: data.tiers[tier].colour } };
      }),
    };
  }

  function transitions(data) {
    // A node per tier before and per tier after (a Sankey has no cycles); links without villages are left out.
    var order = ["green", "yellow", "red"];
    var nodes = [];
    order.forEach(function (tier) {
      nodes.push({ name: data.labels.before + " · " + data.tiers[tier].label, itemStyle: { color: data.tiers[tier].colour } });
    });
    order.forEach(function (tier) {
      nodes.push({ name: data.labels.after + " · " + data.tiers[tier].label, itemStyle: { color: data.tiers[tier].colour } });
    });
    var links = data.links.filter(function (link) { return link.value > 0; }).map(function (link) {
      return { source: data.labels.before + " · " + data.tiers[link.from].label,
        target: data.labels.after + " · " + data.tiers[link.to].label, value: link.value };
    });
    return {
      animation: false,
      tooltip: { trigger: "item", renderMode: "richText" },
      series: [{ type: "sankey", data: nodes, links: links, nodeAlign: "justify", layoutIterations: 0,
        lineStyle: { color: "gradient", opacity: 0.45 }, label: { fontSize: 14 }, left: 24, right: 140 }],
    };
  }

  var KINDS = { village: village, town: town, transitions: transitions };

  document.querySelectorAll(".trend-chart[data-chart]").forEach(function (el) {
    var block = document.getElementById(el.dataset.chart);
    if (!block) { return; }
    var data = JSON.parse(block.textContent);
    var build = KINDS[data.kind];
    if (!build) { return; }
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.on("finished", function () { el.dataset.state = "drawn"; });
    chart.setOption(build(data));
    window.addEventListener("resize", function () { chart.resize(); });
  });
}());
