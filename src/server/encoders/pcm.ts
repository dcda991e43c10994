/** Raw 16-bit little-endian mono PCM: no header, no state. */
import { int16Bytes, type AudioEncoder } from './encoder.js';

/** Creates a raw PCM "encoder". */
export function createPcmEncoder(sampleRate: number): AudioEncoder {
  return {
    inputSampleRate: sampleRate,
    encode: (pcm) => int16Bytes(pcm),
    close: () => undefined,
  };
}
