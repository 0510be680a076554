/**
 * fabric-shim logs through winston, and winston runs a line through its whole format chain (timestamp,
 * metadata, colours, padding, printf) before the transport drops it for its level. fabric-shim writes
 * several debug lines per transaction and per ledger call, so a server at level `warning` formatted them all
 * and threw them away: in a profile of RegisterContract under load, a fifth of the chaincode's JavaScript
 * time (docs/bench.md). This makes winston drop a line below the logger's level before any formatting.
 * Lines at or above the level (and any level change at run time) behave exactly as before.
 */
import { createRequire } from 'node:module';

const LEVEL = Symbol.for('level');
const PATCHED = Symbol.for('coffee.skipDisabledLogLines');

interface WinstonLogger {
  isLevelEnabled(level: string): boolean;
  write: (this: WinstonLogger, chunk: unknown, ...rest: unknown[]) => boolean;
}

type LoggerClass = { prototype: WinstonLogger & { [PATCHED]?: true } };

/** Patches the winston `Logger` class given (the one fabric-shim loads, by default). False if none is found. */
export function skipDisabledLogLines(loggerClass?: LoggerClass): boolean {
  let Logger = loggerClass;
  if (Logger === undefined) {
    try {
      const fromShim = createRequire(require.resolve('fabric-shim'));
      Logger = (fromShim('winston') as { Logger: LoggerClass }).Logger;
    } catch {
      return false;
    }
  }
  const proto = Logger.prototype;
  if (proto[PATCHED]) {
    return true;
  }
  const write = proto.write;
  proto.write = function (this: WinstonLogger, chunk: unknown, ...rest: unknown[]): boolean {
    if (typeof chunk === 'object' && chunk !== null) {
      const info = chunk as { level?: unknown; [LEVEL]?: unknown };
      const level = info[LEVEL] ?? info.level;
      if (typeof level === 'string' && !this.isLevelEnabled(level)) {
        return true;
      }
    }
    return write.call(this, chunk, ...rest);
  };
  proto[PATCHED] = true;
  return true;
}
