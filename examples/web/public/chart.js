/**
 * A bar chart of first-packet delays in an inline SVG: one bar per task, oldest on the left,
 * coloured by how the task ended. No library: a few rectangles and labels.
 */

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 360;
const HEIGHT = 140;
const LEFT = 44;
const BOTTOM = 18;
const TOP = 10;

function element(name, attributes, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A round axis maximum at or above `value`: 1, 2 or 5 times a power of ten. */
function niceCeiling(value) {
  const power = 10 ** Math.floor(Math.log10(Math.max(value, 1)));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/**
 * Draws the chart.
 * @param {SVGSVGElement} svg
 * @param {Array<{firstPacketMs?: number, state: string, taskId?: string}>} speeches oldest first
 */
export function drawChart(svg, speeches) {
  const points = speeches.filter((s) => typeof s.firstPacketMs === 'number' && s.firstPacketMs >= 0);
  svg.replaceChildren();
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const plotWidth = WIDTH - LEFT - 4;
  if (points.length === 0) {
    svg.append(
      element('line', { x1: LEFT, x2: WIDTH - 4, y1: TOP + plotHeight, y2: TOP + plotHeight, class: 'grid' }),
    );
    svg.append(
      element(
        'text',
        { x: LEFT + plotWidth / 2, y: TOP + plotHeight / 2, class: 'axis', 'text-anchor': 'middle' },
        'no tasks yet',
      ),
    );
    return;
  }
  const max = niceCeiling(Math.max(1, ...points.map((p) => p.firstPacketMs)));
  for (const fraction of [0, 0.5, 1]) {
    const y = TOP + plotHeight * (1 - fraction);
    svg.append(element('line', { x1: LEFT, x2: WIDTH - 4, y1: y, y2: y, class: 'grid' }));
    const label = fraction === 1 ? `${max} ms` : String(fraction * max);
    svg.append(element('text', { x: LEFT - 6, y: y + 4, class: 'axis', 'text-anchor': 'end' }, label));
  }
  const slot = plotWidth / Math.max(points.length, 10);
  points.forEach((point, index) => {
    const height = Math.max(1, (point.firstPacketMs / max) * plotHeight);
    const bar = element('rect', {
      x: LEFT + index * slot + slot * 0.15,
      y: TOP + plotHeight - height,
      width: slot * 0.7,
      height,
      class: `bar ${point.state}`,
    });
    bar.append(
      element('title', {}, `${Math.round(point.firstPacketMs)} ms · ${point.state} · ${point.taskId ?? ''}`),
    );
    svg.append(bar);
  });
  svg.append(
    element(
      'text',
      { x: LEFT, y: HEIGHT - 4, class: 'axis' },
      `last ${points.length} task${points.length === 1 ? '' : 's'}`,
    ),
  );
}
