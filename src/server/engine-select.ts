/**
 * Chooses the speech engine for a server: espeak-ng when it can be imported (or was asked for),
 * else the synthetic voice.
 */
import type { SpeechEngine } from './engine.js';
import { createEspeakEngine, importEspeak } from './engine-espeak.js';
import { createSyntheticEngine } from './engine-synthetic.js';

/** What a fallback to the synthetic voice means, and how to get real speech. */
export const SYNTHETIC_FALLBACK =
  '@echogarden/espeak-ng-emscripten is not installed, so the built-in synthetic voice speaks ' +
  '(tones that follow the text, not words); for real speech: npm install @echogarden/espeak-ng-emscripten';

/**
 * Resolves the `engine` option.
 * @throws {Error} with code `DS_ERR_ENGINE_UNAVAILABLE` when `'espeak'` was asked for and cannot be imported.
 */
export async function selectEngine(
  choice: 'auto' | 'espeak' | 'synthetic',
  log: (line: string) => void,
): Promise<SpeechEngine> {
  if (choice === 'synthetic') return createSyntheticEngine();
  try {
    await importEspeak();
    return createEspeakEngine();
  } catch (error) {
    if (choice === 'espeak') {
      throw Object.assign(
        new Error(
          'engine "espeak" needs the optional package @echogarden/espeak-ng-emscripten: ' +
            `npm install -D @echogarden/espeak-ng-emscripten (${(error as Error).message})`,
        ),
        { code: 'DS_ERR_ENGINE_UNAVAILABLE' },
      );
    }
    log(`local server: ${SYNTHETIC_FALLBACK}`);
    return createSyntheticEngine();
  }
}
