#!/usr/bin/env node
// The tsip command. The TypeScript sources are compiled to dist/ by `npm install`.
import { main } from '../dist/src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`tsip: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
