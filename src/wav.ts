/** WAV helpers. */

/**
 * Rewrites the RIFF and data sizes of a complete WAV file with the usual 44-byte header in
 * place, so that strict readers see the exact length. A streamed WAV (the local server's, and
 * any whose length was unknown while streaming) carries placeholder sizes. Returns the same
 * buffer; input that is not such a WAV is left untouched.
 */
export function patchWavSizes<T extends Uint8Array>(file: T): T {
  if (file.length < 44) return file;
  const tag = (offset: number): string => String.fromCharCode(...file.subarray(offset, offset + 4));
  if (tag(0) !== 'RIFF' || tag(8) !== 'WAVE' || tag(36) !== 'data') return file;
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  view.setUint32(4, file.length - 8, true);
  view.setUint32(40, file.length - 44, true);
  return file;
}
