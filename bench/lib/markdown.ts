/** Tiny markdown helpers for the summary tables. */

export function table(header: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A number for a table: '–' for missing, else a sensible number of digits. */
export function fmt(value: number | undefined, digits?: number): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  const d = digits ?? (Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2);
  return value.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

/** 'x' as a multiplier, e.g. 2.31×. */
export function times(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : '–';
}

export function errorsText(errors: Record<string, number>, hung = 0): string {
  const parts = Object.entries(errors).map(([name, n]) => `${n} ${name}`);
  if (hung > 0) parts.push(`${hung} hung`);
  return parts.length === 0 ? '0' : parts.join(', ');
}
