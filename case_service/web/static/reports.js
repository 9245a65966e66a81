// The figures page's charts, drawn by the vendored ECharts from the figures the page carries as JSON.
"use strict";

(function () {
  if (typeof echarts === "undefined") return;
  const font = { fontFamily: "WenQuanYi Zen Hei, Noto Sans CJK SC, sans-serif" };
  const charts = [];

  function draw(id, option) {
    const element = document.getElementById(id);
    if (!element) return;
    const chart = echarts.init(element, null, { renderer: "svg" });
    chart.setOption(Object.assign({ textStyle: font, animation: false }, option));
    charts.push(chart);
  }

  function percent(rate) {
    return rate === null ? null : Number((rate * 100).toFixed(1));
  }

  function caseCharts(data) {
    const labels = data.groups.map((group) => group.label);

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
      // Room above the plot for a bar's label at 100%, clear of the title.
      grid: { left: 48, right: 16, top: 60, bottom: 72 },
      xAxis: { type: "category", data: labels, axisLabel: { interval: 0, rotate: labels.length > 4 ? 20 : 0 } },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: [{
        name: "按时率", type: "bar", color: "#1b6e2a",
        data: data.groups.map((g) => percent(g.on_time_rate)),
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

  }

  function ratingCharts(data) {
    const labels = data.groups.map((group) => group.label);
    const colours = { 5: "#1b6e2a", 4: "#7cb342", 3: "#c0ca33", 2: "#fb8c00", 1: "#b5121b" };
    const levels = Object.keys(data.levels).sort().reverse();
    draw("chart-ratings", {
      title: { text: "评价等级与满意率 Ratings by level", left: "center", textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis" },
      legend: { bottom: 0 },
      grid: { left: 48, right: 56, top: 60, bottom: 72 },
      xAxis: { type: "category", data: labels, axisLabel: { interval: 0, rotate: labels.length > 6 ? 20 : 0 } },
      yAxis: [
        { type: "value", minInterval: 1 },
        { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      ],
      series: levels.map((level) => ({
        name: data.levels[level], type: "bar", stack: "levels", color: colours[level],
        data: data.groups.map((g) => g.levels[level]),
      })).concat([{
        name: "满意率 satisfaction", type: "line", yAxisIndex: 1, color: "#1d2733",
        data: data.groups.map((g) => percent(g.satisfaction_rate)),
      }]),
    });
  }

  const figures = document.getElementById("figures-data");
  if (figures) caseCharts(JSON.parse(figures.textContent));
  const ratings = document.getElementById("ratings-data");
  if (ratings) ratingCharts(JSON.parse(ratings.textContent));
  window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));
  document.body.dataset.charts = String(charts.length);
})();
