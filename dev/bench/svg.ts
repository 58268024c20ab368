/**
 * Two small chart shapes, written as SVG by hand: nothing to install, and a reader's browser (or
 * GitHub) draws them. Text is escaped; sizes are fixed so the files diff cleanly between runs.
 */
const FAMILY = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"';
const FONT = `${FAMILY} font-size="12"`;
const TITLE_FONT = `${FAMILY} font-size="14" font-weight="bold"`;
export const COLOURS = { node: '#9aa5b1', bundle: '#2f6fdf', service: '#f0a030', line: '#2f6fdf' };

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fixed = (value: number) => Number(value.toFixed(1));

export interface Segment {
  value: number;
  colour: string;
  /** Shown on hover. */
  title: string;
}

export interface Bar {
  label: string;
  segments: Segment[];
  /** Written after the bar, e.g. the total. */
  note: string;
  /** A tick at this value (a p95). */
  marker?: number;
}

function legendOf(legend: { colour: string; label: string }[], x: number, y: number): string {
  let offset = x;
  return legend
    .map(({ colour, label }) => {
      const item =
        `<rect x="${offset}" y="${y - 10}" width="12" height="12" fill="${colour}"/>` +
        `<text x="${offset + 16}" y="${y}" ${FONT}>${escape(label)}</text>`;
      offset += 28 + label.length * 6.5;
      return item;
    })
    .join('');
}

/** Horizontal stacked bars, one per label, on a shared scale starting at zero. */
export function barChart(options: {
  title: string;
  unit: string;
  bars: Bar[];
  legend: { colour: string; label: string }[];
}): string {
  const labelWidth = 8 + 7 * Math.max(10, ...options.bars.map((bar) => bar.label.length));
  const plotWidth = 420;
  const rowHeight = 26;
  const top = 48;
  // Room for the note after the longest bar.
  const width = labelWidth + plotWidth + 16 + 7 * Math.max(0, ...options.bars.map((bar) => bar.note.length));
  const height = top + options.bars.length * rowHeight + 34;
  const max = Math.max(
    1,
    ...options.bars.map((bar) =>
      Math.max(
        bar.marker ?? 0,
        bar.segments.reduce((sum, s) => sum + s.value, 0),
      ),
    ),
  );
  const scale = (value: number) => fixed((value / max) * plotWidth);
  const rows = options.bars.map((bar, index) => {
    const y = top + index * rowHeight;
    let x = labelWidth;
    const segments = bar.segments.map((segment) => {
      const w = scale(segment.value);
      const rect = `<rect x="${fixed(x)}" y="${y}" width="${w}" height="18" fill="${segment.colour}"><title>${escape(segment.title)}</title></rect>`;
      x += w;
      return rect;
    });
    // The marker (a p95) as a whisker from the bar's end.
    const markerX = bar.marker === undefined ? undefined : fixed(labelWidth + scale(bar.marker));
    const marker =
      markerX === undefined
        ? ''
        : `<line x1="${fixed(Math.min(x, markerX))}" x2="${markerX}" y1="${y + 9}" y2="${y + 9}" stroke="#333"/>` +
          `<line x1="${markerX}" x2="${markerX}" y1="${y + 3}" y2="${y + 15}" stroke="#333" stroke-width="1.5"/>`;
    return (
      `<text x="${labelWidth - 8}" y="${y + 13}" text-anchor="end" ${FONT}>${escape(bar.label)}</text>` +
      segments.join('') +
      marker +
      `<text x="${fixed(Math.max(x, markerX ?? 0) + 6)}" y="${y + 13}" ${FONT}>${escape(bar.note)}</text>`
    );
  });
  const axisY = top + options.bars.length * rowHeight + 4;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="12" y="20" ${TITLE_FONT}>${escape(options.title)}</text>`,
    legendOf(options.legend, labelWidth, 38),
    ...rows,
    `<line x1="${labelWidth}" x2="${labelWidth + plotWidth}" y1="${axisY}" y2="${axisY}" stroke="#ccc"/>`,
    `<text x="${labelWidth}" y="${axisY + 16}" ${FONT}>0</text>`,
    `<text x="${labelWidth + plotWidth}" y="${axisY + 16}" text-anchor="end" ${FONT}>${escape(`${fixed(max)} ${options.unit}`)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}

export interface Point {
  x: number;
  y: number;
  label: string;
}

/** A line through points, both axes from zero, each point labelled. */
export function lineChart(options: {
  title: string;
  xLabel: string;
  yLabel: string;
  points: Point[];
}): string {
  const left = 56;
  const top = 40;
  const plotWidth = 520;
  const plotHeight = 220;
  const width = left + plotWidth + 40;
  const height = top + plotHeight + 50;
  const maxX = Math.max(1, ...options.points.map((p) => p.x));
  const maxY = Math.max(1, ...options.points.map((p) => p.y)) * 1.15;
  const px = (x: number) => fixed(left + (x / maxX) * plotWidth);
  const py = (y: number) => fixed(top + plotHeight - (y / maxY) * plotHeight);
  const path = options.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${px(p.x)},${py(p.y)}`).join(' ');
  const points = options.points.map(
    (p) =>
      `<circle cx="${px(p.x)}" cy="${py(p.y)}" r="4" fill="${COLOURS.line}"><title>${escape(p.label)}</title></circle>` +
      `<text x="${px(p.x)}" y="${py(p.y) - 10}" text-anchor="middle" ${FONT}>${escape(p.label)}</text>` +
      `<text x="${px(p.x)}" y="${top + plotHeight + 16}" text-anchor="middle" ${FONT}>${p.x}</text>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="12" y="20" ${TITLE_FONT}>${escape(options.title)}</text>`,
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotHeight}" stroke="#ccc"/>`,
    `<line x1="${left}" x2="${left + plotWidth}" y1="${top + plotHeight}" y2="${top + plotHeight}" stroke="#ccc"/>`,
    `<text x="${left - 6}" y="${top + plotHeight}" text-anchor="end" ${FONT}>0</text>`,
    `<text x="${left - 6}" y="${top + 10}" text-anchor="end" ${FONT}>${fixed(maxY)}</text>`,
    `<text x="14" y="${top + plotHeight / 2}" ${FONT} transform="rotate(-90 14 ${top + plotHeight / 2})" text-anchor="middle">${escape(options.yLabel)}</text>`,
    `<text x="${left + plotWidth / 2}" y="${top + plotHeight + 38}" text-anchor="middle" ${FONT}>${escape(options.xLabel)}</text>`,
    `<path d="${path}" fill="none" stroke="${COLOURS.line}" stroke-width="2"/>`,
    ...points,
    '</svg>',
    '',
  ].join('\n');
}
