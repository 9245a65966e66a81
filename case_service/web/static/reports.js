// The figures page's charts, drawn by the vendored ECharts from the figures the page carries as JSON.
"use strict";

(function () {
  const block = document.getElementById("figures-data");
  if (!block || typeof echarts === "undefined") return;
  const data = JSON.parse(block.textContent);
  const labels = data.groups.map((group) => group.label);
  const font = { fontFamily: "WenQuanYi Zen Hei, Noto Sans CJK SC, sans-serif" };
  const charts = [];

  function draw(id, option) {
    const element = document.getElementById(id);
    if (!element) return;
    const chart = echarts.init(element, null, { renderer: "svg" });
    chart.setOption(Object.assign({ textStyle: font, animation: false }, option));
    charts.push(chart);
  }

  draw("chart-groups", {
    title: { text: "收件 · 受理 · 办结", left: "center", textStyle: { fontSize: 14 } },
    tooltip: { trigger: "axis" },
    legend: { bottom: 0 },
    grid: { left: 48, right: 16, top: 40, bottom: 72 },
    xAxis: { type: "category", data: labels, axisLabel: { interval: 0, rotate: labels.length > 4 ? 20 : 0 } },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: "收件 received", type: "bar", data: data.groups.map((g) => g.received) },
      { name: "受理 accepted", type: "bar", data: data.groups.map((g) => g.accepted) },
      { name: "办结 decided", type: "bar", data: data.groups.map((g) => g.decided) },
    ],
  });

  draw("chart-ontime", {
    title: { text: "按时办结率 On-time rate", left: "center", textStyle: { fontSize: 14 } },
    tooltip: { trigger: "axis", valueFormatter: (v) => (v === null ? "—" : v + "%") },
    grid: { left: 48, right: 16, top: 40, bottom: 72 },
    xAxis: { type: "category", data: labels, axisLabel: { interval: 0, rotate: labels.length > 4 ? 20 : 0 } },
    yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
    series: [{
      name: "按时率", type: "bar", color: "#1b6e2a",
      data: data.groups.map((g) => (g.on_time_rate === null ? null : Number((g.on_time_rate * 100).toFixed(1)))),
      label: { show: true, position: "top", formatter: (p) => (p.value === null ? "" : p.value + "%") },
    }],
  });

  draw("chart-trend", {
    title: { text: "收件与办结趋势 Trend", left: "center", textStyle: { fontSize: 14 } },
    tooltip: { trigger: "axis" },
    legend: { bottom: 0 },
    grid: { left: 48, right: 24, top: 40, bottom: 56 },
    xAxis: { type: "category", data: data.trend.map((t) => t.bucket) },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: "收件 received", type: "line", data: data.trend.map((t) => t.received) },
      { name: "办结 decided", type: "line", data: data.trend.map((t) => t.decided) },
    ],
  });

  window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));
  document.body.dataset.charts = String(charts.length);
})();
