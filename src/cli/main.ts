/**
 * The `dashscope-tts` command line: `serve` runs the local DashScope-compatible server, `say`
 * synthesizes one text to a file, `voices` lists the local server's voices.
 * Exit codes: 0 success, 1 failure at run time, 2 bad usage.
 */
import { VERSION } from '../version.js';
import { UsageError } from './args.js';
import { load } from './load.js';
import { say } from './say.js';
import { serve } from './serve.js';
import { voices } from './voices.js';

/** The program's help text. */
export const MAIN_USAGE = `Usage: dashscope-tts <command> [options]

Commands:
  serve   run a local DashScope-compatible speech server (prints its ws URL first)
  say     synthesize a text to an audio file
  voices  list the voices the local server knows
  load    load-test a pool: first packet, errors, utilization and reuse against their targets

Options:
  -v, --version   print the version
  -h, --help      show this help

Run "dashscope-tts <command> --help" for the options of a command.`;

/** Runs the command line with `argv` (without `node` and the script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(rest);
      case 'say':
        return await say(rest);
      case 'voices':
        return voices(rest);
      case 'load':
        return await load(rest);
      case '-v':
      case '--version':
      case 'version':
        process.stdout.write(`${VERSION}\n`);
        return 0;
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(`${MAIN_USAGE}\n`);
        return 0;
      case undefined:
        throw new UsageError(MAIN_USAGE);
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}\n\n${MAIN_USAGE}`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`dashscope-tts: ${error.message}\n`);
      return 2;
    }
    const code = (error as { code?: unknown }).code;
    process.stderr.write(
      `dashscope-tts: ${(error as Error).message}${typeof code === 'string' ? ` (${code})` : ''}\n`,
    );
    return 1;
  }
}
