/**
 * `dashscope-tts voices`: the voice names the local server knows, with their language and
 * gender, and where the real service's list lives (it depends on the model and the region).
 */
import { knownVoices, resolveVoice } from '../server/voices.js';
import { parse, UsageError } from './args.js';

/** The command's help text. */
export const VOICES_USAGE = `Usage: dashscope-tts voices [options]

Lists the voice names the local server (dashscope-tts serve, say without --url) accepts, with
their language and gender. The real service's voices depend on the model generation and the
region: see the CosyVoice voice list in the Model Studio documentation.

Options:
  --json                print a JSON array instead of a table
  -h, --help            show this help`;

/** What the real service's list depends on; printed under the table. */
export const VOICES_NOTE = `These are the names the local server knows. On DashScope, voices belong to a model
generation: cosyvoice-v1 names (longxiaochun), v2 names (longxiaochun_v2), v3 voices (longanyang
with cosyvoice-v3-flash); a cloned or designed voice works only with the model it was made for,
and Singapore (intl) offers fewer voices than Beijing (cn). An unknown combination fails with
"Engine return error code: 418".`;

/** One row of the list. */
export interface VoiceRow {
  name: string;
  language: 'zh' | 'en';
  gender: 'female' | 'male';
  /** The English accent the local server uses for Latin text. */
  accent: 'en-us' | 'en-gb';
}

/** Every known voice, in table order. */
export function voiceRows(): VoiceRow[] {
  return knownVoices().map((name) => {
    const profile = resolveVoice(name)!;
    return { name, language: profile.language, gender: profile.gender, accent: profile.english };
  });
}

/** Runs `voices` and returns the exit code. */
export function voices(args: string[]): number {
  const { values, positionals } = parse(
    args,
    { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    VOICES_USAGE,
  );
  if (values.help) {
    process.stdout.write(`${VOICES_USAGE}\n`);
    return 0;
  }
  if (positionals.length > 0) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}\n\n${VOICES_USAGE}`);
  }
  const rows = voiceRows();
  if (values.json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  const width = Math.max(...rows.map((row) => row.name.length));
  const lines = [`${'voice'.padEnd(width)}  language  gender  accent`];
  for (const row of rows) {
    lines.push(
      `${row.name.padEnd(width)}  ${row.language.padEnd(8)}  ${row.gender.padEnd(6)}  ${row.accent}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n\n${VOICES_NOTE}\n`);
  return 0;
}
