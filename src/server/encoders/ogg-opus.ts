/**
 * Opus in Ogg (RFC 7845) through libopus in WebAssembly (`opusscript`, an optional peer
 * dependency) and the in-repo page writer.
 *
 * Opus only takes 8, 12, 16, 24 or 48 kHz, so 22050 and 44100 Hz requests are encoded from 24 and
 * 48 kHz (the header still reports the requested rate as the input rate). Every sentence ends on a
 * page boundary, padded with silence to whole 20 ms frames plus one frame for the encoder's
 * look-ahead, so the sentence is complete as soon as it is sent.
 */
import type OpusScriptType from 'opusscript';
import { int16Bytes, type AudioEncoder } from './encoder.js';
import { OggPageWriter } from './ogg.js';
import { importEncoderPackage } from './optional.js';

type OpusScriptClass = typeof OpusScriptType;
type OpusRate = 8000 | 12000 | 16000 | 24000 | 48000;

const OPUS_SET_COMPLEXITY_REQUEST = 4010;
/** libopus's look-ahead at 48 kHz (6.5 ms), the customary pre-skip. */
const PRE_SKIP = 312;
const PACKETS_PER_PAGE = 50;

let opusClass: Promise<OpusScriptClass> | undefined;

function loadOpus(): Promise<OpusScriptClass> {
  opusClass ??= importEncoderPackage('opus', () => import('opusscript')).then(
    (mod) => (mod as { default: OpusScriptClass }).default,
  );
  opusClass.catch(() => (opusClass = undefined));
  return opusClass;
}

/** The rate Opus encodes at for a requested sample rate. */
export function opusInputRate(sampleRate: number): OpusRate {
  if (sampleRate <= 8000) return 8000;
  if (sampleRate <= 12000) return 12000;
  if (sampleRate <= 16000) return 16000;
  if (sampleRate <= 24000) return 24000;
  return 48000;
}

function opusHead(inputRate: number): Uint8Array {
  const head = new Uint8Array(19);
  const view = new DataView(head.buffer);
  head.set(new TextEncoder().encode('OpusHead'));
  head[8] = 1; // version
  head[9] = 1; // channels
  view.setUint16(10, PRE_SKIP, true);
  view.setUint32(12, inputRate, true);
  view.setInt16(16, 0, true); // output gain
  head[18] = 0; // mapping family
  return head;
}

function opusTags(): Uint8Array {
  const vendor = new TextEncoder().encode('dashscope-tts-pool local server');
  const tags = new Uint8Array(8 + 4 + vendor.length + 4);
  const view = new DataView(tags.buffer);
  tags.set(new TextEncoder().encode('OpusTags'));
  view.setUint32(8, vendor.length, true);
  tags.set(vendor, 12);
  view.setUint32(12 + vendor.length, 0, true);
  return tags;
}

/** Creates an Ogg Opus encoder for one task. `bitRateKbps` defaults to 32. */
export async function createOggOpusEncoder(sampleRate: number, bitRateKbps = 32): Promise<AudioEncoder> {
  const OpusScript = await loadOpus();
  const rate = opusInputRate(sampleRate);
  const encoder = new OpusScript(rate, 1, OpusScript.Application.AUDIO);
  encoder.setBitrate(Math.min(510, Math.max(6, bitRateKbps)) * 1000);
  encoder.encoderCTL(OPUS_SET_COMPLEXITY_REQUEST, 5);
  const frame = rate / 50; // 20 ms
  const scale = 48000 / rate;
  const writer = new OggPageWriter(Math.floor(Math.random() * 0xffffffff));
  let headerSent = false;
  let granule = 0n; // 48 kHz samples of every packet so far, pre-skip included
  let realSamples = 0; // input samples that are not padding
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    encoder.delete();
  };

  return {
    inputSampleRate: rate,
    encode(pcm, final) {
      if (closed) throw new Error('opus encoder is closed');
      const pages: Uint8Array[] = [];
      if (!headerSent) {
        headerSent = true;
        pages.push(writer.page([opusHead(sampleRate)], 0n, { bos: true }), writer.page([opusTags()], 0n));
      }
      realSamples += pcm.length;
      const frames = Math.ceil(pcm.length / frame) + 1;
      const padded = new Int16Array(frames * frame);
      padded.set(pcm);
      const bytes = Buffer.from(int16Bytes(padded));
      let packets: Uint8Array[] = [];
      for (let f = 0; f < frames; f++) {
        const packet = encoder.encode(bytes.subarray(f * frame * 2, (f + 1) * frame * 2), frame);
        packets.push(Uint8Array.from(packet));
        granule += BigInt(frame * scale);
        const last = f === frames - 1;
        if (packets.length === PACKETS_PER_PAGE || last) {
          // The last page of the stream trims the padding through its granule position.
          const end = last && final ? BigInt(PRE_SKIP + Math.round(realSamples * scale)) : granule;
          pages.push(writer.page(packets, end < granule ? end : granule, { eos: last && final }));
          packets = [];
        }
      }
      if (final) close();
      return concatPages(pages);
    },
    close,
  };
}

function concatPages(pages: Uint8Array[]): Uint8Array {
  const length = pages.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(length);
  let offset = 0;
  for (const page of pages) {
    out.set(page, offset);
    offset += page.length;
  }
  return out;
}
