/**
 * What the command line says about the optional packages: which engine and encoders are in
 * use, and which package to install when one is missing.
 */
import { probeEncoders, type EncoderAvailability } from '../server/encoders/index.js';
import type { EngineName } from '../server/index.js';

/** The package that gives the local server real speech. */
export const ESPEAK_PACKAGE = '@echogarden/espeak-ng-emscripten';

/** How the engine is named to users. */
export function engineLabel(engine: EngineName): string {
  return engine === 'espeak' ? `espeak-ng (${ESPEAK_PACKAGE})` : 'synthetic voice (tones, not words)';
}

/** `pcm, wav, mp3 (wasm-media-encoders), opus: not installed (npm install opusscript)`. */
export function formatsLine(formats: readonly EncoderAvailability[]): string {
  return formats
    .map((f) => {
      if (f.package === undefined) return f.format;
      return f.available
        ? `${f.format} (${f.package})`
        : `${f.format}: not installed (npm install ${f.package})`;
    })
    .join(', ');
}

/**
 * Resolves when `format` can be encoded by the local server.
 * @throws {Error} naming the package to install when it cannot.
 */
export async function requireEncoder(format: string): Promise<EncoderAvailability | undefined> {
  const found = (await probeEncoders()).find((f) => f.format === format);
  if (found && !found.available) {
    throw new Error(
      `${format} needs the optional package ${found.package}, which is not installed: ` +
        `npm install ${found.package} (or choose --format wav or pcm)`,
    );
  }
  return found;
}

export { probeEncoders };
