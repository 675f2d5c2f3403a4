/** Where a command writes: injectable so tests can run commands in-process and read their output. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
}

/** The process's stdout and stderr. */
export const processIo: CommandIo = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
};

/** A command's entry point: resolves with the exit code. */
export type Command = (args: string[], io: CommandIo) => Promise<number>;

/** Thrown for bad command-line usage; main prints it with the usage text and exits 2. */
export class UsageError extends Error {}

/** What a command prints when opening or reading a file failed: strerror's wording for the usual errnos. */
export function fileErrorText(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'No such file or directory';
    if (code === 'EACCES') return 'Permission denied';
    if (code === 'EISDIR') return 'Is a directory';
    return e.message;
  }
  return String(e);
}
