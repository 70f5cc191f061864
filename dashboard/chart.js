// Carbon per day by activity type, as a stacked bar chart in plain SVG (no framework, no library).

export const TYPE_COLORS = { commit: '#2e7d32', pr: '#1565c0', ci_run: '#ef6c00', deployment: '#6a1b9a' };
const DAYS = 14;
const SVG = 'http://www.w3.org/2000/svg';

function el(name, attrs, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** {day: {type: grams}} for the DAYS days ending with the newest activity's UTC day. */
export function carbonPerDay(activities) {
  const dated = activities.filter((a) => a.timestamp && typeof a.carbon_kg === 'number');
  if (dated.length === 0) return { days: [], totals: {} };
  const newest = dated.map((a) => a.timestamp.slice(0, 10)).sort().at(-1);
  const end = Date.parse(`${newest}T00:00:00Z`);
  const days = Array.from({ length: DAYS }, (_, i) => new Date(end - (DAYS - 1 - i) * 86400000).toISOString().slice(0, 10));
  const totals = Object.fromEntries(days.map((d) => [d, {}]));
  for (const a of dated) {
    const day = totals[a.timestamp.slice(0, 10)];
    if (day) day[a.type] = (day[a.type] ?? 0) + a.carbon_kg * 1000;
  }
  return { days, totals };
}

export function drawChart(svg, activities) {
  svg.replaceChildren();
  const { days, totals } = carbonPerDay(activities);
  const width = 640, height = 220, left = 48, bottom = 28, top = 12;
  if (days.length === 0) {
    svg.append(el('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle', fill: '#5b6d61' }, 'no calculated activities yet'));
    return;
  }
  const max = Math.max(...days.map((d) => Object.values(totals[d]).reduce((s, g) => s + g, 0)), 1e-9);
  const slot = (width - left - 8) / days.length;
  const scale = (height - top - bottom) / max;
  svg.append(el('text', { x: 4, y: top + 4, 'font-size': 11, fill: '#5b6d61' }, `${max.toPrecision(2)} g`));
  svg.append(el('line', { x1: left, x2: width - 4, y1: height - bottom, y2: height - bottom, stroke: '#9aa99f' }));
  days.forEach((day, i) => {
    let y = height - bottom;
    for (const [type, color] of Object.entries(TYPE_COLORS)) {
      const grams = totals[day][type] ?? 0;
      if (grams <= 0) continue;
      const h = Math.max(grams * scale, 1);
      y -= h;
      const bar = el('rect', { x: left + i * slot + 2, y, width: slot - 4, height: h, fill: color, 'data-day': day,
        'data-type': type });
      bar.append(el('title', {}, `${day} ${type}: ${grams.toPrecision(3)} g CO2e`));
      svg.append(bar);
    }
    if ((days.length - 1 - i) % 2 === 0) { // every other day, ending with the newest
      svg.append(el('text', { x: left + i * slot + slot / 2, y: height - 10, 'text-anchor': 'middle', 'font-size': 10,
        fill: '#5b6d61' }, day.slice(5)));
    }
  });
  Object.entries(TYPE_COLORS).forEach(([type, color], i) => {
    svg.append(el('rect', { x: left + 8 + i * 110, y: 2, width: 10, height: 10, fill: color }));
    svg.append(el('text', { x: left + 22 + i * 110, y: 11, 'font-size': 11 }, type));
  });
}
