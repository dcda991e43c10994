/**
 * MP3 through LAME in WebAssembly (`wasm-media-encoders`, an optional peer dependency), constant
 * bit rate so that durations are exact without a Xing header.
 *
 * LAME holds back about a frame and a half of audio. So that every sentence is heard as soon as
 * it is sent (a task may end with nothing left to flush), each sentence is followed by just enough
 * silence to push its last real sample out of the encoder; the emitted frames are counted to
 * know when that point is reached. LAME's output may stop inside a frame, so only whole frames are
 * handed out and the partial tail waits for the next sentence: the stream is valid at every
 * sentence boundary.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { WasmMediaEncoder } from 'wasm-media-encoders';
import { concatBytes, type AudioEncoder } from './encoder.js';
import { completeFrames } from './mp3-frames.js';
import { importEncoderPackage } from './optional.js';

type Mp3Wasm = WasmMediaEncoder<'audio/mpeg'>;
type Bitrate = 8 | 16 | 24 | 32 | 40 | 48 | 64 | 80 | 96 | 112 | 128 | 160 | 192 | 224 | 256 | 320;

const MP3_RATES: ReadonlySet<number> = new Set([
  8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000,
]);
const V1_BITRATES: ReadonlySet<number> = new Set([32, 40, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]);
const V2_BITRATES: ReadonlySet<number> = new Set([8, 16, 24, 32, 40, 48, 64, 80, 96, 112, 128, 160]);
/** LAME's encoder delay plus the decoder's delay, in samples. */
const CODEC_DELAY = 576 + 529;

// The ES2023 lib (without DOM) does not declare WebAssembly; Node has it. A compiled module is
// only passed on to the encoder, so an opaque type is enough.
type WasmModule = object;
const wasmApi = (
  globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<WasmModule> } }
).WebAssembly;

let compiled: Promise<WasmModule | undefined> | undefined;

/** Compiles LAME once per process; undefined when the wasm file cannot be located. */
function compiledModule(): Promise<WasmModule | undefined> {
  compiled ??= (async () => {
    try {
      // The CJS build has __filename; the ESM build resolves relative to this module's URL.
      const req = createRequire(typeof __filename === 'string' ? __filename : import.meta.url);
      return await wasmApi.compile(await readFile(req.resolve('wasm-media-encoders/wasm/mp3')));
    } catch {
      return undefined;
    }
  })();
  return compiled;
}

async function newLame(): Promise<Mp3Wasm> {
  const lib = await importEncoderPackage('mp3', () => import('wasm-media-encoders'));
  const module = await compiledModule();
  return module ? lib.createEncoder('audio/mpeg', module) : lib.createMp3Encoder();
}

/** The constant bit rate for a sample rate, honouring a requested `bit_rate` when the format allows it. */
export function mp3Bitrate(sampleRate: number, requestedKbps?: number): Bitrate {
  const v1 = sampleRate >= 32000;
  const allowed = v1 ? V1_BITRATES : V2_BITRATES;
  if (requestedKbps !== undefined && allowed.has(requestedKbps)) return requestedKbps as Bitrate;
  return v1 ? 64 : sampleRate >= 16000 ? 48 : 24;
}

/** Creates an MP3 encoder for one task. */
export async function createMp3Encoder(sampleRate: number, bitRateKbps?: number): Promise<AudioEncoder> {
  if (!MP3_RATES.has(sampleRate)) throw new Error(`mp3 does not support ${sampleRate} Hz`);
  const lame = await newLame();
  lame.configure({ sampleRate, channels: 1, bitrate: mp3Bitrate(sampleRate, bitRateKbps) });
  const frameSamples = sampleRate >= 32000 ? 1152 : 576;
  let pending: Uint8Array = new Uint8Array(0);
  let emittedFrames = 0;
  let inputSamples = 0;
  let closed = false;

  const feed = (pcm: Float32Array, parts: Uint8Array[]): void => {
    // The returned view points into wasm memory that the next call overwrites: copy it.
    const out = lame.encode([pcm]);
    inputSamples += pcm.length;
    if (out.length === 0) return;
    pending = concatBytes([pending, out.slice()]);
    const whole = completeFrames(pending);
    if (whole.frames === 0) return;
    emittedFrames += whole.frames;
    parts.push(pending.slice(0, whole.end));
    pending = pending.slice(whole.end);
  };

  return {
    inputSampleRate: sampleRate,
    encode(pcm, final) {
      if (closed) throw new Error('mp3 encoder is closed');
      const parts: Uint8Array[] = [];
      const floats = new Float32Array(pcm.length);
      for (let i = 0; i < pcm.length; i++) floats[i] = pcm[i]! / 32768;
      feed(floats, parts);
      const needed = inputSamples + CODEC_DELAY;
      const silence = new Float32Array(frameSamples);
      for (let guard = 0; emittedFrames * frameSamples < needed && guard < 16; guard++) feed(silence, parts);
      if (final) {
        const tail = concatBytes([pending, lame.finalize().slice()]);
        pending = new Uint8Array(0);
        if (tail.length > 0) parts.push(tail);
      }
      return concatBytes(parts);
    },
    close() {
      closed = true;
    },
  };
}
