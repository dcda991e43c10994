import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeAudioFile } from '../src/audio-file.js';
import { startLocalServer, type LocalServer } from '../src/server/index.js';
import { SpeechSynthesizer } from '../src/synthesizer/speech-synthesizer.js';

let server: LocalServer;
let dir: string;
beforeAll(async () => {
  server = await startLocalServer({ engine: 'synthetic' });
  dir = mkdtempSync(join(tmpdir(), 'dashscope-audio-file-'));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function synthesizer(format: 'wav' | 'mp3'): SpeechSynthesizer {
  return new SpeechSynthesizer({
    url: server.url,
    apiKey: 'k',
    model: 'cosyvoice-v3-flash',
    voice: 'longanyang',
    format: { format, sampleRate: 22050 },
  });
}

describe('writeAudioFile', () => {
  it('writes a streamed WAV with its real sizes instead of the streaming placeholders', async () => {
    const synth = synthesizer('wav');
    try {
      const path = join(dir, 'streamed.wav');
      const bytes = await writeAudioFile(path, synth.stream('First sentence. Second sentence.'));
      const file = readFileSync(path);
      expect(file.length).toBe(bytes);
      expect(file.length).toBeGreaterThan(10_000);
      expect(file.readUInt32LE(4)).toBe(file.length - 8);
      expect(file.readUInt32LE(40)).toBe(file.length - 44);
    } finally {
      await synth.close();
    }
  });

  it('leaves other formats byte for byte as received', async () => {
    const synth = synthesizer('mp3');
    try {
      const audio = (await synth.call('Hello.'))!;
      const path = join(dir, 'hello.mp3');
      expect(await writeAudioFile(path, audio)).toBe(audio.length);
      expect(readFileSync(path).equals(audio)).toBe(true);
    } finally {
      await synth.close();
    }
  });

  it('removes the partial file and rethrows when the stream fails', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(100);
      await new Promise((resolve) => setImmediate(resolve));
      throw new Error('the stream broke');
    }
    const path = join(dir, 'broken.wav');
    await expect(writeAudioFile(path, failing())).rejects.toThrow('the stream broke');
    expect(existsSync(path)).toBe(false);
  });
});
