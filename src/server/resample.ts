/**
 * Sample-level processing of 16-bit mono PCM: volume and sample-rate conversion.
 */

/** Scales by `volume / 50` (0–100, 50 = unity, linear) with clipping. Returns the input when 50. */
export function applyVolume(samples: Int16Array, volume: number): Int16Array {
  if (volume === 50) return samples;
  const gain = Math.max(0, Math.min(100, volume)) / 50;
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    out[i] = Math.max(-32768, Math.min(32767, Math.round(samples[i]! * gain)));
  }
  return out;
}

/**
 * Converts the sample rate by linear interpolation. Good enough for a test server; each call is
 * independent, so sentence boundaries may carry a one-sample discontinuity.
 */
export function resample(samples: Int16Array, fromRate: number, toRate: number): Int16Array {
  if (fromRate === toRate || samples.length === 0) return samples;
  const length = Math.max(1, Math.round((samples.length * toRate) / fromRate));
  const out = new Int16Array(length);
  const step = fromRate / toRate;
  const last = samples.length - 1;
  for (let i = 0; i < length; i++) {
    const pos = i * step;
    const index = Math.floor(pos);
    const frac = pos - index;
    const a = samples[Math.min(index, last)]!;
    const b = samples[Math.min(index + 1, last)]!;
    out[i] = Math.round(a + (b - a) * frac);
  }
  return out;
}
