/**
 * Just enough MPEG audio layer III header parsing to count the frames an encoder emitted.
 */

const BITRATES_V1 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const BITRATES_V2 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
const RATES: Record<number, number[]> = {
  3: [44100, 48000, 32000],
  2: [22050, 24000, 16000],
  0: [11025, 12000, 8000],
};

export interface Mp3FrameHeader {
  /** 1 for MPEG-1, 2 for MPEG-2, 2.5 for MPEG-2.5. */
  version: number;
  bitrateKbps: number;
  sampleRate: number;
  /** Bytes of the whole frame, header included. */
  length: number;
  /** PCM samples per frame (1152 or 576). */
  samples: number;
}

/** Parses a layer III frame header at `offset`, or returns undefined when there is none. */
export function parseMp3FrameHeader(bytes: Uint8Array, offset: number): Mp3FrameHeader | undefined {
  if (offset + 4 > bytes.length) return undefined;
  const b1 = bytes[offset + 1]!;
  const b2 = bytes[offset + 2]!;
  if (bytes[offset] !== 0xff || (b1 & 0xe0) !== 0xe0) return undefined;
  const versionBits = (b1 >> 3) & 3;
  const layerBits = (b1 >> 1) & 3;
  if (versionBits === 1 || layerBits !== 1) return undefined;
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 3;
  if (bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return undefined;
  const v1 = versionBits === 3;
  const bitrateKbps = (v1 ? BITRATES_V1 : BITRATES_V2)[bitrateIndex]!;
  const sampleRate = RATES[versionBits]![rateIndex]!;
  const padding = (b2 >> 1) & 1;
  const samples = v1 ? 1152 : 576;
  const length = Math.floor(((samples / 8) * bitrateKbps * 1000) / sampleRate) + padding;
  return { version: v1 ? 1 : versionBits === 2 ? 2 : 2.5, bitrateKbps, sampleRate, length, samples };
}

/**
 * Finds the whole frames at the start of `bytes` (which must begin on a frame boundary): how
 * many there are and where the last one ends.
 */
export function completeFrames(bytes: Uint8Array): { frames: number; end: number } {
  let pos = 0;
  let frames = 0;
  for (;;) {
    const header = parseMp3FrameHeader(bytes, pos);
    if (!header || pos + header.length > bytes.length) return { frames, end: pos };
    pos += header.length;
    frames++;
  }
}
