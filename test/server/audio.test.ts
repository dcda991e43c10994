import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalServer, type LocalServer } from '../../src/server/index.js';
import { connect, synthesize, type TestClient } from './helpers.js';

let synthetic: LocalServer;
let espeak: LocalServer;
const clients: TestClient[] = [];

beforeAll(async () => {
  synthetic = await startLocalServer({ engine: 'synthetic' });
  espeak = await startLocalServer({ engine: 'espeak' });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await synthetic.close();
  await espeak.close();
});

async function audioOf(
  server: LocalServer,
  texts: string[],
  parameters: Record<string, unknown>,
): Promise<{ audio: Buffer; frames: Buffer[]; client: TestClient }> {
  const client = await connect(server.url);
  clients.push(client);
  const { end } = await synthesize(client, texts, parameters);
  expect(end.header.event).toBe('task-finished');
  const frames = client.frames.flatMap((f) => (f.type === 'binary' ? [f.data] : []));
  client.close();
  return { audio: Buffer.concat(frames), frames, client };
}

function int16(pcm: Buffer): Int16Array {
  const copy = Buffer.from(pcm);
  return new Int16Array(copy.buffer, copy.byteOffset, Math.floor(copy.length / 2));
}

function rms(samples: Int16Array): number {
  let sum = 0;
  for (const s of samples) sum += s * s;
  return Math.sqrt(sum / Math.max(1, samples.length)) / 32768;
}

// ----- independent container checks (no server code) ----------------------------------------

const V1_KBPS = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const V2_KBPS = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
const MPEG_RATES: Record<number, number[]> = {
  3: [44100, 48000, 32000],
  2: [22050, 24000, 16000],
  0: [11025, 12000, 8000],
};

/** Walks an MP3 stream frame by frame from byte 0; every frame must have a valid layer III header. */
function walkMp3(bytes: Buffer): { frames: number; sampleRate: number; kbps: Set<number>; samples: number } {
  let pos = 0;
  let frames = 0;
  let samples = 0;
  let sampleRate = 0;
  const kbps = new Set<number>();
  while (pos < bytes.length) {
    expect(bytes[pos], `sync at ${pos}`).toBe(0xff);
    const b1 = bytes[pos + 1]!;
    const b2 = bytes[pos + 2]!;
    expect(b1 & 0xe0, `sync at ${pos}`).toBe(0xe0);
    const version = (b1 >> 3) & 3;
    expect((b1 >> 1) & 3, 'layer III').toBe(1);
    expect(version).not.toBe(1);
    const v1 = version === 3;
    const bitrate = (v1 ? V1_KBPS : V2_KBPS)[b2 >> 4]!;
    const rate = MPEG_RATES[version]![(b2 >> 2) & 3]!;
    expect(bitrate).toBeGreaterThan(0);
    expect(rate).toBeDefined();
    sampleRate = rate;
    kbps.add(bitrate);
    const perFrame = v1 ? 1152 : 576;
    const length = Math.floor(((perFrame / 8) * bitrate * 1000) / rate) + ((b2 >> 1) & 1);
    pos += length;
    frames++;
    samples += perFrame;
  }
  expect(pos).toBe(bytes.length);
  return { frames, sampleRate, kbps, samples };
}

function crc32Ogg(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 24;
    for (let k = 0; k < 8; k++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
    crc >>>= 0;
  }
  return crc >>> 0;
}

interface OggPage {
  flags: number;
  granule: bigint;
  sequence: number;
  packets: Buffer[];
}

function walkOgg(bytes: Buffer): OggPage[] {
  const pages: OggPage[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    expect(bytes.subarray(pos, pos + 4).toString('latin1')).toBe('OggS');
    const segments = bytes[pos + 26]!;
    const lacing = [...bytes.subarray(pos + 27, pos + 27 + segments)];
    const bodyLength = lacing.reduce((a, b) => a + b, 0);
    const end = pos + 27 + segments + bodyLength;
    const page = Buffer.from(bytes.subarray(pos, end));
    const crc = page.readUInt32LE(22);
    page.writeUInt32LE(0, 22);
    expect(crc32Ogg(page)).toBe(crc);
    const packets: Buffer[] = [];
    let offset = pos + 27 + segments;
    let current: Buffer[] = [];
    for (const l of lacing) {
      current.push(bytes.subarray(offset, offset + l));
      offset += l;
      if (l < 255) {
        packets.push(Buffer.concat(current));
        current = [];
      }
    }
    pages.push({
      flags: bytes[pos + 5]!,
      granule: bytes.readBigUInt64LE(pos + 6),
      sequence: bytes.readUInt32LE(pos + 18),
      packets,
    });
    pos = end;
  }
  return pages;
}

// ----- tests ---------------------------------------------------------------------------------

describe('pcm', () => {
  it('is not silent and lasts about as long as the text needs (synthetic voice)', async () => {
    const { audio } = await audioOf(synthetic, ['Hello there, how are you today?'], {
      format: 'pcm',
      sample_rate: 16000,
    });
    const samples = int16(audio);
    const seconds = samples.length / 16000;
    // 31 characters at ~60 ms each (spaces and punctuation shorter or pauses) ≈ 1.7 s.
    expect(seconds).toBeGreaterThan(1.2);
    expect(seconds).toBeLessThan(3);
    expect(rms(samples)).toBeGreaterThan(0.05);
  });

  it('follows the requested sample rate', async () => {
    const lengths: Record<number, number> = {};
    for (const rate of [8000, 16000, 22050, 24000, 44100, 48000]) {
      const { audio } = await audioOf(synthetic, ['一二三四。'], { format: 'pcm', sample_rate: rate });
      lengths[rate] = audio.length / 2 / rate;
    }
    const durations = Object.values(lengths);
    for (const d of durations) expect(d).toBeCloseTo(durations[0]!, 1);
  });

  it('applies volume linearly (50 = unity, 0 = silence)', async () => {
    const at = async (volume: number): Promise<number> =>
      rms(int16((await audioOf(synthetic, ['音量。'], { format: 'pcm', volume })).audio));
    const unity = await at(50);
    const quiet = await at(25);
    expect(quiet / unity).toBeCloseTo(0.5, 1);
    expect(await at(0)).toBe(0);
  });

  it('applies the speech rate', async () => {
    const normal = (await audioOf(synthetic, ['快慢快慢。'], { format: 'pcm', rate: 1 })).audio.length;
    const fast = (await audioOf(synthetic, ['快慢快慢。'], { format: 'pcm', rate: 2 })).audio.length;
    expect(fast / normal).toBeCloseTo(0.5, 1);
  });
});

describe('wav', () => {
  it('has a correct RIFF header in the first frame only, then PCM', async () => {
    const { audio, frames } = await audioOf(synthetic, ['第一句。', '第二句。'], {
      format: 'wav',
      sample_rate: 24000,
    });
    expect(frames.length).toBeGreaterThanOrEqual(2);
    const h = frames[0]!;
    expect(h.subarray(0, 4).toString('latin1')).toBe('RIFF');
    expect(h.readUInt32LE(4)).toBe(0xffffffff);
    expect(h.subarray(8, 16).toString('latin1')).toBe('WAVEfmt ');
    expect(h.readUInt32LE(16)).toBe(16);
    expect(h.readUInt16LE(20)).toBe(1);
    expect(h.readUInt16LE(22)).toBe(1);
    expect(h.readUInt32LE(24)).toBe(24000);
    expect(h.readUInt32LE(28)).toBe(48000);
    expect(h.readUInt16LE(32)).toBe(2);
    expect(h.readUInt16LE(34)).toBe(16);
    expect(h.subarray(36, 40).toString('latin1')).toBe('data');
    expect(h.readUInt32LE(40)).toBe(0xffffffff);
    for (const frame of frames.slice(1)) expect(frame.subarray(0, 4).toString('latin1')).not.toBe('RIFF');
    expect((audio.length - 44) % 2).toBe(0);
    expect(rms(int16(audio.subarray(44)))).toBeGreaterThan(0.05);
  });

  it('splits binary frames at about audioChunkBytes (8000 by default)', async () => {
    const { frames } = await audioOf(synthetic, ['这是一个比较长的句子，用来检查分块。'], {
      format: 'pcm',
      sample_rate: 22050,
    });
    expect(frames.length).toBeGreaterThan(2);
    for (const frame of frames.slice(0, -1)) expect(frame.length).toBe(8000);
  });
});

describe('mp3', () => {
  it('"Default" format and sample_rate 0 give a CBR MPEG-2 layer III stream at 22050 Hz whose frames all parse', async () => {
    const { audio } = await audioOf(synthetic, ['你好。', '欢迎光临。'], {
      format: 'Default',
      sample_rate: 0,
    });
    const info = walkMp3(audio);
    expect(info.sampleRate).toBe(22050);
    expect(info.kbps.size).toBe(1);
    // The whole speech is in the stream: at least as many samples as the synthetic voice made.
    const pcm = await audioOf(synthetic, ['你好。', '欢迎光临。'], { format: 'pcm', sample_rate: 22050 });
    expect(info.samples).toBeGreaterThanOrEqual(pcm.audio.length / 2);
  });

  it('ends on a whole frame whether or not finish-task had text left', async () => {
    const complete = await audioOf(synthetic, ['Ends with a period.'], { format: 'mp3' });
    expect(walkMp3(complete.audio).frames).toBeGreaterThan(10);
    const tail = await audioOf(synthetic, ['No period at the end'], { format: 'mp3' });
    expect(walkMp3(tail.audio).frames).toBeGreaterThan(10);
  });

  it('works at 48 kHz (MPEG-1) and 8 kHz (MPEG-2.5)', async () => {
    for (const rate of [48000, 8000]) {
      const { audio } = await audioOf(synthetic, ['Testing mp3.'], { format: 'mp3', sample_rate: rate });
      expect(walkMp3(audio).sampleRate).toBe(rate);
    }
  });
});

describe('opus', () => {
  it('is Ogg Opus: OpusHead (BOS), OpusTags, audio pages with valid CRCs, rising granules and EOS', async () => {
    // The last sentence is only complete at finish-task, so the stream is closed with EOS.
    const { audio } = await audioOf(synthetic, ['第一句。', '第二句'], {
      format: 'opus',
      sample_rate: 22050,
      bit_rate: 32,
    });
    const pages = walkOgg(audio);
    expect(pages.length).toBeGreaterThanOrEqual(4);
    expect(pages.map((p) => p.sequence)).toEqual(pages.map((_, i) => i));
    const head = pages[0]!.packets[0]!;
    expect(pages[0]!.flags & 2).toBe(2);
    expect(head.subarray(0, 8).toString('latin1')).toBe('OpusHead');
    expect(head[8]).toBe(1);
    expect(head[9]).toBe(1);
    expect(head.readUInt32LE(12)).toBe(22050);
    expect(pages[1]!.packets[0]!.subarray(0, 8).toString('latin1')).toBe('OpusTags');
    const audioPages = pages.slice(2);
    for (let i = 1; i < audioPages.length; i++) {
      expect(audioPages[i]!.granule).toBeGreaterThanOrEqual(audioPages[i - 1]!.granule);
    }
    expect(audioPages.at(-1)!.flags & 4).toBe(4);
    // ~2 s of speech: the final granule (48 kHz units) is in that range.
    const seconds = Number(audioPages.at(-1)!.granule) / 48000;
    expect(seconds).toBeGreaterThan(1);
    expect(seconds).toBeLessThan(4);
  });

  it('is a valid stream without EOS when finish-task has nothing left to say', async () => {
    const { audio } = await audioOf(synthetic, ['第一句。'], { format: 'opus', sample_rate: 48000 });
    const pages = walkOgg(audio);
    expect(pages[0]!.packets[0]!.readUInt32LE(12)).toBe(48000);
    expect(pages.length).toBeGreaterThanOrEqual(3);
  });
});

describe('espeak-ng (real speech)', () => {
  it('reports the espeak engine', () => {
    expect(espeak.engine).toBe('espeak');
  });

  it('speaks English and Mandarin: audible, plausible duration', async () => {
    const english = int16(
      (
        await audioOf(espeak, ['The quick brown fox jumps over the lazy dog.'], {
          voice: 'loongstella',
          format: 'pcm',
          sample_rate: 22050,
        })
      ).audio,
    );
    expect(english.length / 22050).toBeGreaterThan(1.5);
    expect(english.length / 22050).toBeLessThan(6);
    expect(rms(english)).toBeGreaterThan(0.02);
    const mandarin = int16(
      (
        await audioOf(espeak, ['今天天气不错，我们去公园散步吧。'], {
          voice: 'longxiaochun',
          format: 'pcm',
          sample_rate: 22050,
        })
      ).audio,
    );
    expect(mandarin.length / 22050).toBeGreaterThan(1.5);
    expect(rms(mandarin)).toBeGreaterThan(0.02);
  });

  it('word timestamps come from espeak word events', async () => {
    const { client } = await audioOf(espeak, ['Hello wonderful world.'], {
      voice: 'loongbella',
      word_timestamp_enabled: true,
      format: 'mp3',
    });
    const end = client.events.find((e) => e.payload.output?.type === 'sentence-end')!;
    const words = end.payload.output!.sentence!.words;
    expect(words.map((w) => w.text)).toEqual(['Hello', 'wonderful', 'world']);
    expect(words[0]!.begin_time).toBe(0);
    expect(words[1]!.begin_time as number).toBeGreaterThan(100);
    expect(words[2]!.end_time as number).toBeGreaterThan(words[2]!.begin_time as number);
  });

  it('rate 2 is faster than rate 1', async () => {
    const slow = (
      await audioOf(espeak, ['This sentence is spoken at two speeds.'], { format: 'pcm', rate: 1 })
    ).audio.length;
    const fast = (
      await audioOf(espeak, ['This sentence is spoken at two speeds.'], { format: 'pcm', rate: 2 })
    ).audio.length;
    expect(fast).toBeLessThan(slow * 0.75);
  });
});
