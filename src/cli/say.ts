/**
 * `dashscope-tts say`: synthesizes one text to a file through the library, with an embedded
 * local server unless `--url` names an endpoint.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { extname } from 'node:path';
// Through the package root, so that the command line uses the library as its users do.
import { SpeechSynthesizer, type AudioContainer, type ConnectionOptions } from '../index.js';
import { SYNTHETIC_FALLBACK } from '../server/engine-select.js';
import { patchWavSizes, startLocalServer, type LocalServer } from '../server/index.js';
import { resolveVoice } from '../server/voices.js';
import { ENGINES, oneOf, parse, str, UsageError } from './args.js';
import { requireEncoder } from './optional.js';

/** The command's help text. */
export const SAY_USAGE = `Usage: dashscope-tts say "text" -o out.wav [options]

Synthesizes the text through the library. Without --url, an embedded local server is started
on 127.0.0.1 for the call and stopped afterwards.

Options:
  -o, --output FILE     where to write the audio (required)
  --format F            wav | mp3 | pcm | opus (default: from the file's extension)
  --sample-rate N       8000 | 16000 | 22050 | 24000 | 44100 | 48000 (default 22050; opus 24000)
  --voice V             voice (default longxiaochun for Chinese text, loongstella otherwise);
                        "dashscope-tts voices" lists the local server's
  --model M             model (default cosyvoice-v3-flash)
  --url U               a DashScope WebSocket endpoint instead of the embedded server
  --key K               API key (default DASHSCOPE_API_KEY; any value for the embedded server)
  --ca FILE             trust this PEM certificate for wss:// (e.g. the one "serve --tls" writes)
  --insecure            do not verify the wss:// server's certificate (local testing only)
  --engine E            embedded server's engine: auto | espeak | synthetic (default auto)
  -h, --help            show this help`;

const FORMATS: readonly AudioContainer[] = ['wav', 'mp3', 'pcm', 'opus'];
const SAMPLE_RATES = [8000, 16000, 22050, 24000, 44100, 48000];
const EXTENSIONS: Record<string, AudioContainer> = {
  '.wav': 'wav',
  '.mp3': 'mp3',
  '.pcm': 'pcm',
  '.raw': 'pcm',
  '.opus': 'opus',
  '.ogg': 'opus',
};

/** Runs `say` and returns the exit code. */
export async function say(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      output: { type: 'string', short: 'o' },
      format: { type: 'string' },
      'sample-rate': { type: 'string' },
      voice: { type: 'string' },
      model: { type: 'string' },
      url: { type: 'string' },
      key: { type: 'string' },
      ca: { type: 'string' },
      insecure: { type: 'boolean' },
      engine: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    SAY_USAGE,
  );
  if (values.help) {
    process.stdout.write(`${SAY_USAGE}\n`);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError(`missing the text to say\n\n${SAY_USAGE}`);
  const text = positionals.join(' ');
  if (text.trim() === '') {
    throw new UsageError(
      'the text is empty: give the words to say, e.g. dashscope-tts say "Hello" -o hello.wav',
    );
  }
  const output = str(values.output);
  if (output === undefined || output === '') throw new UsageError(`missing -o/--output FILE\n\n${SAY_USAGE}`);
  const format = oneOf('format', values.format, FORMATS) ?? EXTENSIONS[extname(output).toLowerCase()];
  if (format === undefined) {
    throw new UsageError(
      `cannot tell the format from ${JSON.stringify(output)}: pass --format wav|mp3|pcm|opus`,
    );
  }
  const rateText = str(values['sample-rate']);
  const sampleRate = rateText === undefined ? (format === 'opus' ? 24000 : 22050) : Number(rateText);
  if (!SAMPLE_RATES.includes(sampleRate)) {
    throw new UsageError(
      `invalid --sample-rate ${JSON.stringify(rateText)}: expected one of ${SAMPLE_RATES.join(', ')}`,
    );
  }
  const engine = oneOf('engine', values.engine, ENGINES) ?? 'auto';
  const voice = str(values.voice) ?? (/[\u3400-\u9fff]/.test(text) ? 'longxiaochun' : 'loongstella');
  const model = str(values.model) ?? 'cosyvoice-v3-flash';
  let url = str(values.url);
  const tls = tlsOptions(str(values.ca), values.insecure === true);
  let apiKey = str(values.key) ?? process.env.DASHSCOPE_API_KEY;
  if (url !== undefined && (apiKey === undefined || apiKey === '')) {
    throw new UsageError(
      'no API key for --url: pass --key K or set the DASHSCOPE_API_KEY environment variable',
    );
  }

  let server: LocalServer | undefined;
  let encoderPackage: string | undefined;
  if (url === undefined) {
    // The embedded server is ours: refuse what it cannot do before starting it.
    if (resolveVoice(voice) === undefined) {
      throw new UsageError(
        `the local server does not know voice ${JSON.stringify(voice)}: run "dashscope-tts voices" for its list`,
      );
    }
    encoderPackage = (await requireEncoder(format))?.package;
    server = await startLocalServer({ engine });
    if (engine === 'auto' && server.engine === 'synthetic') {
      process.stderr.write(`dashscope-tts: warning: ${SYNTHETIC_FALLBACK}\n`);
    }
    url = server.url;
    apiKey ??= 'local';
  }
  try {
    const synthesizer = new SpeechSynthesizer({
      model,
      voice,
      format: { format, sampleRate },
      url,
      apiKey,
      ...tls,
    });
    let audio: Buffer | null;
    try {
      // A voice the service refuses fails with a TaskFailedError whose hint names the voice
      // and the model (see voice-hint.ts); the CLI prints it as it is.
      audio = await synthesizer.call(text);
    } finally {
      await synthesizer.close();
    }
    if (!audio || audio.length === 0) throw new Error('the server returned no audio');
    // Streamed WAV carries placeholder sizes; the saved file gets the exact ones.
    if (format === 'wav') patchWavSizes(audio);
    await writeFile(output, audio);
    const encoding = encoderPackage === undefined ? format : `${format} by ${encoderPackage}`;
    const source = server
      ? `engine ${server.engine === 'espeak' ? 'espeak-ng' : 'synthetic (tones, not words)'}`
      : `model ${model} at ${url}`;
    process.stdout.write(
      `wrote ${output} (${encoding}, ${sampleRate} Hz, ${audio.length} bytes; voice ${voice}; ${source})\n`,
    );
    return 0;
  } finally {
    await server?.close();
  }
}

/**
 * The connection options behind --ca and --insecure.
 * @throws {UsageError} for both at once, or an unreadable certificate file.
 */
export function tlsOptions(
  caFile: string | undefined,
  insecure: boolean,
): Pick<ConnectionOptions, 'ca' | 'agent'> {
  if (caFile !== undefined && insecure) throw new UsageError('pass either --ca or --insecure, not both');
  if (insecure) return { agent: new Agent({ rejectUnauthorized: false }) };
  if (caFile === undefined) return {};
  try {
    return { ca: readFileSync(caFile) };
  } catch (error) {
    throw new UsageError(`cannot read --ca ${JSON.stringify(caFile)}: ${(error as Error).message}`);
  }
}
