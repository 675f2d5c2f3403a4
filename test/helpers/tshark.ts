import { execFileSync } from 'node:child_process';

function tsharkAvailable(): boolean {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Whether tshark is on this machine. */
export const haveTshark = tsharkAvailable();

/** CI installs tshark (.ci/run): there a missing tshark is a failure, not a skip. */
export const tsharkRequired = process.env.CI !== undefined && process.env.CI !== '';
