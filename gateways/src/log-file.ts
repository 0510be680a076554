/**
 * The gateway's log file, rotated by size (LOG_FILE, LOG_MAX_BYTES, LOG_MAX_FILES): a pino destination that
 * appends to the file and, once it has grown past the limit, renames it to `<file>.1` (older ones shift to
 * `.2` … `.<max>`, the oldest is deleted) and reopens the path. Synchronous writes (pino's own default for a file
 * destination), so a line is on disk before the process can die and rotation never splits a line.
 *
 * A process that holds the same path open for appending (the launcher points the gateway's stdout at it too)
 * keeps writing to the renamed file after a rotation; that is only start-up failures and crashes.
 */
import { closeSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface RotationOptions {
  maxBytes: number;
  /** Rotated files kept besides the live one. */
  maxFiles: number;
}

export class RotatingFile {
  readonly #path: string;
  readonly #o: RotationOptions;
  #fd: number;
  #size: number;

  constructor(path: string, o: RotationOptions) {
    this.#path = path;
    this.#o = o;
    mkdirSync(dirname(path), { recursive: true });
    this.#fd = openSync(path, 'a', 0o640);
    this.#size = fstatSync(this.#fd).size;
  }

  /** pino's destination interface: one serialized line per call. */
  write(line: string): boolean {
    const bytes = Buffer.from(line);
    if (this.#size > 0 && this.#size + bytes.length > this.#o.maxBytes) this.rotate();
    writeSync(this.#fd, bytes);
    this.#size += bytes.length;
    return true;
  }

  /** Shifts `<file>.n` to `.n+1` (dropping the last), the live file to `.1`, and starts a new one. */
  rotate(): void {
    closeSync(this.#fd);
    rmSync(`${this.#path}.${this.#o.maxFiles}`, { force: true });
    for (let n = this.#o.maxFiles - 1; n >= 1; n--) {
      try {
        renameSync(`${this.#path}.${n}`, `${this.#path}.${n + 1}`);
      } catch (e: unknown) {
        if ((e as { code?: string }).code !== 'ENOENT') throw e;
      }
    }
    if (this.#o.maxFiles > 0) renameSync(this.#path, `${this.#path}.1`);
    else rmSync(this.#path, { force: true });
    this.#fd = openSync(this.#path, 'a', 0o640);
    this.#size = 0;
  }

  close(): void {
    closeSync(this.#fd);
  }
}
