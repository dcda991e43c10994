/**
 * The `dashscope-tts` executable: runs the command line (src/cli/) and sets the exit code.
 */
import { main } from './cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`dashscope-tts: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
