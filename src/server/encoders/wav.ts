/**
 * Streaming WAV: a 44-byte RIFF header in front of the first sentence, then raw PCM.
 *
 * The total length is unknown while streaming, so the header carries the streaming convention
 * (RIFF and data sizes 0xFFFFFFFF, as ffmpeg writes to a pipe): players read the data to the end of
 * the file. Whoever saves the whole task can fix the sizes with {@link patchWavSizes}.
 */
import { int16Bytes, concatBytes, type AudioEncoder } from './encoder.js';

const UNKNOWN_SIZE = 0xffffffff;

/** Builds a 44-byte PCM WAV header (mono, 16-bit). `dataBytes` defaults to the streaming size. */
export function wavHeader(sampleRate: number, dataBytes: number = UNKNOWN_SIZE): Uint8Array {
  const header = new Uint8Array(44);
  const view = new DataView(header.buffer);
  const ascii = (offset: number, text: string): void => {
    for (let i = 0; i < text.length; i++) header[offset + i] = text.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, dataBytes === UNKNOWN_SIZE ? UNKNOWN_SIZE : 36 + dataBytes, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  ascii(36, 'data');
  view.setUint32(40, dataBytes, true);
  return header;
}

/** Creates a streaming WAV encoder. */
export function createWavEncoder(sampleRate: number): AudioEncoder {
  let headerSent = false;
  return {
    inputSampleRate: sampleRate,
    encode(pcm) {
      const bytes = int16Bytes(pcm);
      if (headerSent) return bytes;
      headerSent = true;
      return concatBytes([wavHeader(sampleRate), bytes]);
    },
    close: () => undefined,
  };
}

export { patchWavSizes } from '../../wav.js';
