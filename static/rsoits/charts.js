// Draws the home-page charts from the JSON that the page embeds with json_script. Every chart
// has a data table beside it, so the figures never depend on this script running.
(function () {
  "use strict";
  var source = document.getElementById("travel-stats");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var blue = "#005ea2", red = "#d54309", grey = "#71767a";
  var common = { responsive: true, animation: false, plugins: { legend: { display: false } } };

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) {
      new window.Chart(canvas, config);
    }
  }

  draw("chart-per-month", {
    type: "bar",
    data: { labels: data.months, datasets: [{ label: "Notices", data: data.perMonth, backgroundColor: blue }] },
    options: Object.assign({}, common, { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } })
  });
  draw("chart-median-days", {
    type: "line",
    data: {
      labels: data.months,
      datasets: [
        { label: "Median days of notice", data: data.medianDays, borderColor: blue, spanGaps: true },
        { label: "Required (21 days)", data: data.months.map(function () { return 21; }), borderColor: red, borderDash: [6, 4], pointRadius: 0 }
      ]
    },
    options: Object.assign({}, common, { plugins: { legend: { display: true } }, scales: { y: { beginAtZero: true } } })
  });
  draw("chart-late-share", {
    type: "doughnut",
    data: { labels: ["Late (under 21 days)", "On time"], datasets: [{ data: [data.late, data.onTime], backgroundColor: [red, grey] }] },
    options: { responsive: true, animation: false, plugins: { legend: { display: true, position: "bottom" } } }
  });
  draw("chart-countries", {
    type: "bar",
    data: { labels: data.countries, datasets: [{ label: "Notices", data: data.countryCounts, backgroundColor: blue }] },
    options: Object.assign({}, common, { indexAxis: "y", scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } })
  });
})();
