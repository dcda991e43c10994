/**
 * Saving audio to a file. A WAV streamed by the service (and by the local server) carries
 * placeholder sizes (0xFFFFFFFF) in its header, because its length is unknown while it streams;
 * written to a file as is, strict readers take it for a very long clip (sox reports hours). Once
 * the whole stream is on disk the real sizes are known, so they are written into the header.
 */
import { open, rm } from 'node:fs/promises';

/**
 * Writes `audio` (a `Buffer`, or a stream such as `synth.stream(text)`) to `path` chunk by
 * chunk, waiting for each write (backpressure), and gives a WAV file its exact RIFF and data
 * sizes at the end. Other formats are written unchanged. On failure the partial file is removed
 * and the error is rethrown.
 * @param path The file to create or replace.
 * @param audio The whole audio, or an (async) iterable of chunks.
 * @returns The number of bytes written.
 */
export async function writeAudioFile(
  path: string,
  audio: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<number> {
  const chunks = audio instanceof Uint8Array ? [audio] : audio;
  const handle = await open(path, 'w');
  let written = 0;
  const head = new Uint8Array(44);
  try {
    for await (const chunk of chunks) {
      if (written < head.length) head.set(chunk.subarray(0, head.length - written), written);
      for (let offset = 0; offset < chunk.length;) {
        offset += (await handle.write(chunk, offset, chunk.length - offset)).bytesWritten;
      }
      written += chunk.length;
    }
    if (written >= head.length && isCanonicalWav(head)) {
      const sizes = Buffer.alloc(4);
      sizes.writeUInt32LE(Math.min(0xffffffff, written - 8));
      await handle.write(sizes, 0, 4, 4);
      sizes.writeUInt32LE(Math.min(0xffffffff, written - 44));
      await handle.write(sizes, 0, 4, 40);
    }
    await handle.close();
    return written;
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(path, { force: true }).catch(() => undefined);
    throw error;
  }
}

/** RIFF/WAVE with the data chunk right after a 16-byte fmt chunk: the 44-byte header. */
function isCanonicalWav(head: Uint8Array): boolean {
  const tag = (offset: number): string => String.fromCharCode(...head.subarray(offset, offset + 4));
  return tag(0) === 'RIFF' && tag(8) === 'WAVE' && tag(36) === 'data';
}
