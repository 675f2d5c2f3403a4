#!/usr/bin/env node
// The tsip command. The TypeScript sources are compiled to dist/ by `npm install`.
import { main } from '../dist/src/cli/main.js';

// `tsip dump x.pcap | head` closes our stdout early: that is not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`tsip: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
