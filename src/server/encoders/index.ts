/**
 * Picks the encoder for a task's `format`.
 */
import type { AudioEncoder } from './encoder.js';
import { createMp3Encoder } from './mp3.js';
import { createOggOpusEncoder } from './ogg-opus.js';
import { createPcmEncoder } from './pcm.js';
import { createWavEncoder } from './wav.js';

export type { AudioEncoder } from './encoder.js';
export { ENCODER_PACKAGES, probeEncoders, type EncoderAvailability } from './optional.js';
export type ContainerFormat = 'pcm' | 'wav' | 'mp3' | 'opus';

/**
 * Creates the encoder for one task.
 * @throws {Error} when the optional package behind mp3 or opus is not installed.
 */
export function createEncoder(
  format: ContainerFormat,
  sampleRate: number,
  bitRateKbps?: number,
): Promise<AudioEncoder> {
  switch (format) {
    case 'pcm':
      return Promise.resolve(createPcmEncoder(sampleRate));
    case 'wav':
      return Promise.resolve(createWavEncoder(sampleRate));
    case 'mp3':
      return createMp3Encoder(sampleRate, bitRateKbps);
    case 'opus':
      return createOggOpusEncoder(sampleRate, bitRateKbps);
  }
}
