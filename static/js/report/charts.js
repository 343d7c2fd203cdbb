// The report's charts as ECharts option objects, built from the report JSON
// (GET /api/broadcasts/<bid>/report). Pure: no DOM, no echarts here, so the
// options are checked under node --test; main.js hands them to echarts.
//
// Every text in a chart is drawn on the canvas by ECharts (axis labels, legend,
// the tooltip in 'richText' mode): no chart ever puts data into the DOM as HTML.

const INK = '#1d1b19';
const INK_2 = '#57524c';
const BRAND = '#a8281e';
const BLUE = '#1456d6';
const GREEN = '#1d6b3a';
const AMBER = '#8a5300';
const PALETTE = [BRAND, BLUE, GREEN, AMBER, '#6b3fa0', '#00707a', '#9c4a00', '#4a5a6a'];

/** "20:05" in the broadcast's time zone, from a minute's ms. */
export function minuteLabel(ms, timeZone) {
  const parts = new Intl.DateTimeFormat('en-GB', {
    hour: '2-digit', minute: '2-digit', hour12: false, timeZone,
  }).formatToParts(new Date(ms));
  const get = (type) => parts.find((p) => p.type === type)?.value ?? '00';
  return `${get('hour')}:${get('minute')}`;
}

function base(t) {
  return {
    animation: false, // the printed page and the browser test see the final drawing
    color: PALETTE,
    textStyle: { fontFamily: 'sans-serif', color: INK },
    tooltip: { trigger: 'axis', renderMode: 'richText', confine: true },
    grid: { left: 48, right: 48, top: 40, bottom: 32, containLabel: true },
    aria: { enabled: true, label: { enabled: true } },
    title: { show: false, text: t('chart') },
  };
}

/**
 * Viewers (line, left axis) and likes per minute (bars, right axis), with a
 * vertical mark at each minute a question went on air.
 */
export function viewersAndLikes(report, t, timeZone) {
  const minutes = report.timeline.map((m) => minuteLabel(m.t, timeZone));
  const marks = (report.onair ?? [])
    .map((m) => ({ xAxis: minuteLabel(Math.floor(m.t / 60000) * 60000, timeZone), name: `#${m.qid}` }))
    .filter((m) => minutes.includes(m.xAxis));
  return {
    ...base(t),
    legend: { top: 0, data: [t('series_viewers'), t('series_likes'), t('series_onair')] },
    xAxis: { type: 'category', data: minutes, axisLabel: { color: INK_2 } },
    yAxis: [
      { type: 'value', name: t('axis_viewers'), minInterval: 1, axisLabel: { color: INK_2 } },
      { type: 'value', name: t('axis_likes'), minInterval: 1, axisLabel: { color: INK_2 } },
    ],
    series: [
      {
        name: t('series_viewers'), type: 'line', yAxisIndex: 0, showSymbol: report.timeline.length < 30,
        data: report.timeline.map((m) => m.viewers), lineStyle: { width: 2 },
        markLine: {
          symbol: 'none', silent: true,
          label: { formatter: '{b}', color: GREEN },
          lineStyle: { color: GREEN, type: 'dashed' },
          data: marks,
        },
      },
      { name: t('series_likes'), type: 'bar', yAxisIndex: 1, data: report.timeline.map((m) => m.likes), itemStyle: { color: '#e0a39c' } },
      // An empty series so the legend explains the dashed marks.
      { name: t('series_onair'), type: 'line', data: [], itemStyle: { color: GREEN }, lineStyle: { type: 'dashed' } },
    ],
  };
}

/** Questions received and shown, per minute. */
export function questionsPerMinute(report, t, timeZone) {
  return {
    ...base(t),
    legend: { top: 0, data: [t('series_received'), t('series_shown')] },
    xAxis: { type: 'category', data: report.timeline.map((m) => minuteLabel(m.t, timeZone)) },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: t('series_received'), type: 'bar', data: report.timeline.map((m) => m.questions), itemStyle: { color: BLUE } },
      { name: t('series_shown'), type: 'bar', data: report.timeline.map((m) => m.approved), itemStyle: { color: GREEN } },
    ],
  };
}

/** A horizontal bar per value (questions by tag), most first from the top. */
export function byCategory(rows, key, label, t) {
  const top = rows.slice(0, 15).reverse();
  return {
    ...base(t),
    tooltip: { trigger: 'item', renderMode: 'richText', confine: true },
    grid: { left: 16, right: 40, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', data: top.map((r) => label(r[key])) },
    series: [{ type: 'bar', data: top.map((r) => r.count), itemStyle: { color: BRAND }, label: { show: true, position: 'right' } }],
  };
}

/** A pie of shares (questions by source). */
export function shares(rows, key, label, t) {
  return {
    ...base(t),
    tooltip: { trigger: 'item', renderMode: 'richText', confine: true },
    legend: { bottom: 0 },
    series: [{
      type: 'pie', radius: ['35%', '65%'], center: ['50%', '45%'],
      label: { formatter: '{b}: {c}' },
      data: rows.map((r) => ({ name: label(r[key]), value: r.count })),
    }],
  };
}

/** One poll's options and their votes. */
export function pollBars(poll, t) {
  return {
    ...base(t),
    tooltip: { trigger: 'item', renderMode: 'richText', confine: true },
    grid: { left: 16, right: 56, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', data: poll.options.map((o) => o.text).reverse() },
    series: [{
      type: 'bar', itemStyle: { color: BLUE },
      label: { show: true, position: 'right' },
      data: poll.options.map((o) => o.votes).reverse(),
    }],
  };
}

/** Broadcasts of a season side by side: views and likes per broadcast. */
export function seasonBars(season, t) {
  const items = season.items ?? [];
  return {
    ...base(t),
    legend: { top: 0, data: [t('series_views'), t('series_likes_total')] },
    xAxis: { type: 'category', data: items.map((i, n) => `${n + 1}. ${i.title}`), axisLabel: { interval: 0, width: 90, overflow: 'truncate' } },
    yAxis: [{ type: 'value', minInterval: 1 }, { type: 'value', minInterval: 1 }],
    series: [
      { name: t('series_views'), type: 'bar', data: items.map((i) => i.views), itemStyle: { color: BRAND } },
      { name: t('series_likes_total'), type: 'bar', yAxisIndex: 1, data: items.map((i) => i.likes), itemStyle: { color: BLUE } },
    ],
  };
}

/** 0.734 -> "73.4%"; null (nothing to divide by) -> "—". */
export function percentText(x) {
  if (x === null || x === undefined || Number.isNaN(Number(x))) return '—';
  return `${(Number(x) * 100).toFixed(1)}%`;
}
