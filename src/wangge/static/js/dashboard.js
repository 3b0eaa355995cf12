/* The dashboard's charts, drawn with the vendored ECharts from the numbers the page carries
   (the "dashboard-data" JSON). Every chart's numbers are also in a table under it, so the
   charts are hidden from screen readers and the page reads the same without script. */
(() => {
  const source = document.getElementById("dashboard-data");
  if (!source || typeof echarts === "undefined") return;
  const data = JSON.parse(source.textContent);
  const labels = data.labels;
  const escape = echarts.format.encodeHTML;
  const RATE_COLOURS = {
    response_rate: "#0b57d0",
    on_time_rate: "#137333",
    solve_rate: "#b06000",
    satisfaction_rate: "#b3261e",
  };
  const VOLUME = "#c4c9d0";
  const CHANNEL_COLOURS = [
    "#0b57d0", "#137333", "#b06000", "#b3261e", "#7b1fa2",
    "#00838f", "#5f6368", "#c2185b", "#827717", "#3949ab", "#6d4c41",
  ];
  const FONT = getComputedStyle(document.documentElement).fontFamily;
  const TEXT = { fontFamily: FONT, color: "#1d1d1f" };

  const percent = (rate) => (rate === null ? "—" : `${(rate * 100).toFixed(1)}%`);
  /* "92.3%（46/50）": a rate is never shown without the counts it is the share of. */
  const rateWithCounts = ([rate, part, whole]) => `${percent(rate)}（${part}/${whole}）`;
  const narrow = () => window.matchMedia("(max-width: 700px)").matches;

  /* ``option`` is the chart's option, or a function of the (shown) container giving it. */
  function draw(name, option) {
    const box = document.querySelector(`[data-chart="${name}"]`);
    if (!box) return;
    box.hidden = false;
    const chart = echarts.init(box, null, { renderer: "canvas" });
    chart.on("finished", () => { box.dataset.drawn = "yes"; });
    const options = typeof option === "function" ? option(box) : option;
    chart.setOption({ textStyle: TEXT, animationDuration: 400, ...options });
    new ResizeObserver(() => chart.resize()).observe(box);
  }

  function tooltipLine(marker, name, value) {
    return `${marker}${escape(name)}：<b>${escape(value)}</b>`;
  }

  /* The rates by month, as lines, over the cases received, as light bars. */
  const months = data.months;
  const rateKeys = Object.keys(labels.rates);
  draw("months", {
    color: [VOLUME, ...rateKeys.map((key) => RATE_COLOURS[key])],
    legend: { top: 0, textStyle: TEXT },
    grid: { left: 8, right: 8, top: narrow() ? 64 : 40, bottom: 8, containLabel: true },
    tooltip: {
      trigger: "axis",
      confine: true,
      className: "dash-tooltip",
      formatter: (items) => {
        const month = months[items[0].dataIndex];
        const lines = items.map((item) => {
          if (item.seriesIndex === 0) return tooltipLine(item.marker, item.seriesName, String(month.received));
          const key = rateKeys[item.seriesIndex - 1];
          return tooltipLine(item.marker, item.seriesName, rateWithCounts(month.rates[key]));
        });
        return [escape(month.label), ...lines].join("<br>");
      },
    },
    xAxis: { type: "category", data: months.map((month) => month.key) },
    yAxis: [
      {
        type: "value",
        max: 100,
        min: (extent) => Math.max(0, Math.floor(extent.min / 10) * 10 - 10),
        axisLabel: { formatter: "{value}%" },
      },
      { type: "value", minInterval: 1, splitLine: { show: false } },
    ],
    series: [
      {
        name: labels.received,
        type: "bar",
        yAxisIndex: 1,
        barMaxWidth: 28,
        data: months.map((month) => month.received),
      },
      ...rateKeys.map((key) => ({
        name: labels.rates[key],
        type: "line",
        symbolSize: 6,
        data: months.map((month) => {
          const rate = month.rates[key][0];
          return rate === null ? null : Math.round(rate * 1000) / 10;
        }),
      })),
    ],
  });

  /* The categories with the most cases, largest on top. */
  const categories = [...data.categories].reverse();
  draw("categories", {
    color: ["#0b57d0"],
    grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
    tooltip: {
      trigger: "axis",
      axisPointer: { type: "shadow" },
      confine: true,
      className: "dash-tooltip",
      formatter: (items) => {
        const category = categories[items[0].dataIndex];
        return [
          `<b>${escape(category.label)}</b>`,
          tooltipLine(items[0].marker, labels.received, String(category.received)),
          ...data.compared.map((key) => tooltipLine("", labels.rates[key], rateWithCounts(category.rates[key]))),
        ].join("<br>");
      },
    },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: {
      type: "category",
      data: categories.map((category) => category.label),
      axisLabel: { width: narrow() ? 84 : 140, overflow: "truncate" },
    },
    series: [{
      name: labels.received,
      type: "bar",
      barMaxWidth: 22,
      label: { show: true, position: "right" },
      data: categories.map((category) => category.received),
    }],
  });

  /* Where the cases came from. */
  draw("channels", (box) => ({
    color: CHANNEL_COLOURS,
    tooltip: {
      trigger: "item",
      confine: true,
      className: "dash-tooltip",
      formatter: (item) => tooltipLine(item.marker, item.name, `${item.value}（${item.percent}%）`),
    },
    legend: { bottom: 0, textStyle: TEXT },
    series: [{
      name: labels.cases,
      type: "pie",
      radius: box.clientWidth < 480 ? ["28%", "50%"] : ["35%", "62%"],
      center: narrow() ? ["50%", "40%"] : ["50%", "45%"],
      avoidLabelOverlap: true,
      label: { show: !narrow(), formatter: "{d}%" },
      data: data.channels.map((channel) => ({ name: channel.label, value: channel.value })),
    }],
  }));
})();
