/**
 * The benchmarks' percentile math on fixed data (no timing, no sockets): the figures in
 * bench/results must mean what their labels say.
 */
import { describe, expect, it } from 'vitest';
import { median, percentile, ratio, round, roundSummary, summarize } from '../bench/lib/stats.js';

describe('bench stats', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100

  it('takes nearest-rank percentiles, like the library LatencyRecorder', () => {
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 95)).toBe(95);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
    expect(percentile(hundred, 0)).toBe(1);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(Number.isNaN(percentile([], 50))).toBe(true);
  });

  it('takes the median of unsorted values, averaging the middle pair', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(Number.isNaN(median([]))).toBe(true);
  });

  it('summarizes unsorted samples without changing them', () => {
    const samples = [5, 1, 4, 2, 3];
    const summary = summarize(samples);
    expect(summary).toEqual({ n: 5, mean: 3, min: 1, p50: 3, p95: 5, p99: 5, max: 5 });
    expect(samples).toEqual([5, 1, 4, 2, 3]);
    expect(summarize([]).n).toBe(0);
  });

  it('rounds and divides safely', () => {
    expect(round(1.23456)).toBe(1.235);
    expect(round(123.456)).toBe(123.5);
    expect(Number.isNaN(ratio(1, 0))).toBe(true);
    expect(ratio(3, 2)).toBe(1.5);
    expect(roundSummary(summarize([1.00001, 2.00002])).p50).toBe(1);
  });
});
