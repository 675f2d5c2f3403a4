import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Finding scripts on disk: files as given, directories walked for `*.pkt`
 * in sorted order (so runs list scripts in a stable order).
 */

/** The `.pkt` files under `path` (itself if it is a file), sorted. Throws if the path does not exist. */
export function collectScripts(path: string): string[] {
  const st = statSync(path);
  if (!st.isDirectory()) return [path];
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.pkt')) out.push(p);
    }
  };
  walk(path);
  return out;
}

/**
 * The profile a script's location suggests: gVisor's scripts (a path with a
 * directory named like `packetdrill-gvisor` or `gvisor`) assume gVisor's
 * harness; scripts in a `bsd` directory (upstream's packetdrill/tests/bsd)
 * were written for FreeBSD's TCP; everything else a stock Linux kernel
 * (defaults.sh is read from the script itself).
 */
export function profileForPath(path: string): 'kernel' | 'gvisor' | 'bsd' {
  const parts = path.split(/[\\/]/);
  if (parts.some((part) => /(^|[-_.])gvisor($|[-_.])/i.test(part))) return 'gvisor';
  return parts.includes('bsd') ? 'bsd' : 'kernel';
}

