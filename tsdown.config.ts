import { defineConfig } from 'tsdown';

// tsdown (rolldown) rather than tsup: tsup pulls in rollup, whose platform packages this
// machine's registry lacks, which makes `npm ci` refuse the lock file.
export default defineConfig([
  {
    // The library, the local server and the Redis quota: ESM (.js) and CommonJS (.cjs) with declarations.
    entry: {
      index: 'src/index.ts',
      'server/index': 'src/server/index.ts',
      'redis/index': 'src/redis/index.ts',
    },
    format: ['esm', 'cjs'],
    fixedExtension: false,
    dts: true,
    sourcemap: true,
    clean: false,
    platform: 'node',
    target: 'node20',
    tsconfig: 'tsconfig.build.json',
  },
  {
    // Executables: ESM only, no declarations.
    entry: { cli: 'src/cli.ts', demo: 'examples/demo.ts' },
    format: ['esm'],
    fixedExtension: false,
    dts: false,
    sourcemap: true,
    clean: false,
    platform: 'node',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    tsconfig: 'tsconfig.build.json',
  },
]);
