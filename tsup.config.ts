import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // The library and the local server: dual ESM/CJS with declarations.
    entry: { index: 'src/index.ts', 'server/index': 'src/server/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    splitting: false,
    tsconfig: 'tsconfig.build.json',
  },
  {
    // Executables: ESM only, no declarations.
    entry: { cli: 'src/cli.ts', demo: 'examples/demo.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    splitting: false,
    banner: { js: '#!/usr/bin/env node' },
    tsconfig: 'tsconfig.build.json',
  },
]);
