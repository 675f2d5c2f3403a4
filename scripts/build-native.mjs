#!/usr/bin/env node
/**
 * Builds the optional native TUN/TAP addon (native/tun.c → build/Release/tsip_tun.node).
 *
 * Run by npm's `install` lifecycle. It must never make `npm install` fail:
 * without a compiler everything except TUN/TAP links still works, so on any
 * failure we print why and how to retry, and exit 0.
 *
 * Environment:
 *   TSIP_SKIP_NATIVE=1     do not build (exit 0 at once)
 *   TSIP_REQUIRE_NATIVE=1  a failed build exits 1 (for CI that needs TUN/TAP)
 *
 * node-gyp is the copy bundled with npm (npm exports its path to lifecycle
 * scripts as npm_config_node_gyp); when run by hand we look next to npm. The
 * Node headers come from npm's `nodedir` if set, else from the headers that
 * ship with the running Node (<prefix>/include/node), else node-gyp downloads
 * them as usual.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const addon = path.join(root, 'build', 'Release', 'tsip_tun.node');
const required = process.env.TSIP_REQUIRE_NATIVE === '1';

function give_up(reason) {
  const lines = [
    '',
    'tsip: WARNING: the native TUN/TAP addon was not built.',
    `tsip:   reason: ${reason}`,
    'tsip:   Everything else in tsip works; only TUN/TAP links (TunLink, `tsip --tun`) are unavailable.',
    'tsip:   To enable them install a C compiler, make and python3, then run',
    'tsip:     node scripts/build-native.mjs   (or: npm rebuild tsip)',
    '',
  ];
  process.stderr.write(lines.join('\n'));
  process.exit(required ? 1 : 0);
}

/** Where npm's bundled node-gyp lives, or null. */
function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  if (process.env.npm_execpath) {
    // npm_execpath is .../npm/bin/npm-cli.js
    candidates.push(path.resolve(path.dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  candidates.push(path.join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(path.join(path.dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  try {
    candidates.push(createRequire(path.join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed locally: fine
  }
  return candidates.find((c) => existsSync(c)) ?? null;
}

/** A --nodedir argument when we know where local headers are, else none. */
function nodedirArgs() {
  if (process.env.npm_config_nodedir) return []; // node-gyp reads it itself
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) && existsSync(path.join(prefix, 'include', 'node', 'common.gypi'))) {
    return [`--nodedir=${prefix}`];
  }
  return [];
}

if (process.env.TSIP_SKIP_NATIVE === '1') {
  process.stderr.write('tsip: TSIP_SKIP_NATIVE=1, not building the TUN/TAP addon\n');
  process.exit(0);
}
if (process.platform !== 'linux') give_up(`TUN/TAP support is Linux-only (this is ${process.platform})`);

const gyp = findNodeGyp();
if (gyp === null) give_up('node-gyp not found (it ships with npm; is npm installed?)');

const args = [gyp, 'rebuild', `--directory=${root}`, ...nodedirArgs()];
process.stderr.write(`tsip: building the TUN/TAP addon: ${process.execPath} ${args.join(' ')}\n`);
const run = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
if (run.error) give_up(`could not run node-gyp: ${run.error.message}`);
if (run.status !== 0) give_up(`node-gyp exited with ${run.status ?? run.signal} (see its output above; is a C compiler installed?)`);
if (!existsSync(addon)) give_up(`node-gyp succeeded but ${addon} is missing`);

// A module that builds but cannot load (wrong ABI, missing symbol) is as bad as none.
try {
  const mod = createRequire(import.meta.url)(addon);
  if (typeof mod.open !== 'function') throw new Error('unexpected exports');
} catch (err) {
  give_up(`built ${addon} but it does not load: ${err instanceof Error ? err.message : String(err)}`);
}
process.stderr.write(`tsip: TUN/TAP addon ready: ${path.relative(root, addon)}\n`);
