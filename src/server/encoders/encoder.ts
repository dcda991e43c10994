/**
 * The encoder seam: one encoder per task, fed one sentence of 16-bit mono PCM at a time, so that
 * concatenating every binary frame of a task yields one playable file.
 */

export interface AudioEncoder {
  /** The sample rate the PCM fed to `encode` must have (may differ from the requested one for opus). */
  readonly inputSampleRate: number;
  /**
   * Encodes one sentence and returns every byte it can emit now (the first call includes the
   * container header). With `final`, also closes the stream.
   */
  encode(pcm: Int16Array, final: boolean): Uint8Array;
  /** Releases native (wasm) resources. Idempotent. */
  close(): void;
}

/** Concatenates byte arrays. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** The raw little-endian bytes of 16-bit samples (a copy). */
export function int16Bytes(pcm: Int16Array): Uint8Array {
  return new Uint8Array(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.byteLength));
}
