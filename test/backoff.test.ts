import { describe, expect, it } from 'vitest';
import { equalJitter, fullJitter } from '../src/backoff.js';

describe('back-off', () => {
  it('full jitter stays within [0, min(max, initial * 2^attempt)]', () => {
    for (let attempt = 0; attempt < 12; attempt += 1) {
      const delay = fullJitter(100, 5_000, attempt);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(Math.min(5_000, 100 * 2 ** attempt));
    }
  });

  it('equal jitter always waits at least half the step, so reconnect loops cannot spin', () => {
    for (let attempt = 0; attempt < 40; attempt += 1) {
      const step = Math.min(30_000, 100 * 2 ** Math.min(attempt, 30));
      const delay = equalJitter(100, 30_000, attempt);
      expect(delay).toBeGreaterThanOrEqual(step / 2);
      expect(delay).toBeLessThanOrEqual(step);
    }
  });
});
