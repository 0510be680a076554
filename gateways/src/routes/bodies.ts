/**
 * Request bodies are read per route, after the route's authentication and role check (mount() in http.ts): an
 * anonymous or forbidden request is answered before a byte of its body is buffered. Each route reads only what it
 * declares: JSON for a `body` schema (public routes with a small limit), multipart for an upload, nothing
 * otherwise.
 *
 * A request refused before its body was read is answered with `Connection: close`, and the gateway reads no more
 * of it: it does not read (and discard) the rest of a body of up to many megabytes to keep the connection alive;
 * the connection is half-closed after the answer and destroyed shortly after (closeIfBodyUnread). A body whose
 * declared Content-Length is over the route's limit is refused (413) the same way, at once: the parsers would read
 * and discard all of it before answering. A client that sends
 * `Expect: 100-continue` gets its 100 only once the request is admitted (server.ts hands such requests to the app
 * through continueAfterAdmission), so a refused client never sends its body at all.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import express, { type Request, type RequestHandler, type Response } from 'express';
import multer from 'multer';
import { AppError } from '../errors.ts';

/** Login, refresh and the other public routes carry a few short fields: this is plenty. */
export const PUBLIC_JSON_LIMIT_BYTES = 16 * 1024;
/** A multipart upload's body beyond its file: boundaries, part headers and at most 10 fields of 1 KiB. */
export const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

const AWAITING_CONTINUE = Symbol('awaiting 100-continue');
type Awaiting = IncomingMessage & { [AWAITING_CONTINUE]?: boolean };

/**
 * The server's `checkContinue` listener: the request goes to the app like any other, and its
 * `100 Continue` is sent by the body reader, only when the route has admitted the request.
 */
export function continueAfterAdmission(
  app: (req: IncomingMessage, res: ServerResponse) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    (req as Awaiting)[AWAITING_CONTINUE] = true;
    app(req, res);
  };
}

function continueIfAwaited(req: Request, res: Response): void {
  const r = req as Awaiting;
  if (r[AWAITING_CONTINUE]) {
    r[AWAITING_CONTINUE] = false;
    res.writeContinue();
  }
}

/** The body length the request declares (Content-Length), if it declares one. */
export function declaredLength(req: IncomingMessage): number | undefined {
  const v = req.headers['content-length'];
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

/** The request carries body bytes that have not all arrived and nobody is reading. */
export function bodyUnread(req: IncomingMessage): boolean {
  const hasBody = req.headers['transfer-encoding'] !== undefined || (declaredLength(req) ?? 0) > 0;
  return hasBody && !req.complete && !req.readableEnded;
}

/** How long a refused connection stays half-open after its answer (see closeIfBodyUnread). */
export const LINGER_MS = 2000;
const lingering = new WeakSet<ServerResponse>();

/**
 * Before answering a request whose body is still unread with an error: close the connection after the answer,
 * so Node does not read the rest of the body to keep the connection alive.
 *
 * Not at once, though. Node ends and destroys the socket of a `Connection: close` answer as soon as the answer is
 * written; a client still sending its body then gets a reset, and a reset can make it drop the answer unread (it
 * does, between two processes). So the connection is half-closed instead: our side ends after the answer, and the
 * gateway stops reading, so the client's sending stalls (its window fills: nothing is read, nothing buffered here)
 * while it reads the answer. The socket is destroyed after LINGER_MS (at once if the client's close is seen).
 */
export function closeIfBodyUnread(req: IncomingMessage, res: ServerResponse): void {
  if (!bodyUnread(req) || res.headersSent || lingering.has(res)) return;
  lingering.add(res);
  res.setHeader('Connection', 'close');
  // Node's own 'finish' listener (registered before the app ran) has just called socket.destroySoon(): it ended
  // our side and queued destroy() for when that end is flushed. Take that destroy back, stop reading, linger.
  res.once('finish', () => {
    const socket = req.socket;
    if (socket.destroyed) return;
    // eslint-disable-next-line @typescript-eslint/unbound-method -- the very listener destroySoon() added, by identity
    socket.removeListener('finish', socket.destroy);
    // After Node's own dump of the request (it resumes the socket on the next tick), stop reading.
    setImmediate(() => stopReading(socket));
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    socket.once('end', () => socket.destroy());
  });
}

/** Stops reading the socket: pause(), and the handle itself (the HTTP parser reads a plain socket's directly). */
function stopReading(socket: Socket): void {
  if (socket.destroyed) return;
  socket.pause();
  const handle = (socket as { _handle?: { readStop?: () => number } })._handle;
  handle?.readStop?.();
}

const identityEncoded = (req: IncomingMessage): boolean =>
  (req.headers['content-encoding'] ?? 'identity').toLowerCase() === 'identity';

const tooLarge = (message: string): AppError => new AppError(413, 'PAYLOAD_TOO_LARGE', message);

/** Reads a route's body: JSON for a `body` schema, multipart for an upload. */
export interface BodyReaders {
  /** JSON (application/json, application/*+json) for a route with a body schema. */
  json(publicRoute: boolean): RequestHandler;
  /** multipart/form-data with one file part named `file` and a few short fields. */
  readonly multipart: RequestHandler;
  /** The largest file an upload may carry. */
  readonly uploadLimitBytes: number;
}

export function bodyReaders(limits: {
  jsonLimitBytes: number;
  uploadLimitBytes: number;
  publicJsonLimitBytes?: number;
}): BodyReaders {
  const publicLimit = Math.min(limits.publicJsonLimitBytes ?? PUBLIC_JSON_LIMIT_BYTES, limits.jsonLimitBytes);
  const user = jsonReader(limits.jsonLimitBytes, false);
  const open = jsonReader(publicLimit, true);
  return {
    json: (publicRoute) => (publicRoute ? open : user),
    multipart: multipartReader(limits.uploadLimitBytes),
    uploadLimitBytes: limits.uploadLimitBytes,
  };
}

function jsonReader(limit: number, publicRoute: boolean): RequestHandler {
  const parse = express.json({ limit, strict: true, type: ['application/json', 'application/*+json'] });
  return (req, res, next) => {
    const declared = declaredLength(req);
    if (declared !== undefined && declared > limit && identityEncoded(req)) {
      closeIfBodyUnread(req, res);
      return next(tooLarge(`the request body is too large (at most ${limit} bytes)`));
    }
    // An anonymous body of unknown length would be read to its end (and discarded) past the limit before the
    // answer: public routes take only bodies that say how long they are (every browser and fetch does).
    if (publicRoute && declared === undefined && req.headers['transfer-encoding'] !== undefined) {
      closeIfBodyUnread(req, res);
      return next(new AppError(411, 'LENGTH_REQUIRED', 'a request body needs a Content-Length here'));
    }
    continueIfAwaited(req, res);
    parse(req, res, (err?: unknown) => {
      if (err) closeIfBodyUnread(req, res);
      next(err);
    });
  };
}

function multipartReader(maxBytes: number): RequestHandler {
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: maxBytes, files: 1, fields: 10, fieldSize: 1024 },
  }).single('file');
  return (req, res, next) => {
    const declared = declaredLength(req);
    if (declared !== undefined && declared > maxBytes + MULTIPART_OVERHEAD_BYTES) {
      closeIfBodyUnread(req, res);
      return next(tooLarge(`files are limited to ${maxBytes} bytes`));
    }
    continueIfAwaited(req, res);
    upload(req, res, (err: unknown) => {
      if (!err) return next();
      closeIfBodyUnread(req, res);
      if (err instanceof multer.MulterError) {
        if (err.code === 'LIMIT_FILE_SIZE') return next(tooLarge(`files are limited to ${maxBytes} bytes`));
        return next(new AppError(400, 'VALIDATION_FAILED', `invalid upload: ${err.message}`));
      }
      next(new AppError(400, 'VALIDATION_FAILED', 'invalid multipart body'));
    });
  };
}
