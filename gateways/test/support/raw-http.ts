/**
 * A raw HTTP/1.1 client for the tests of what a gateway does before a request's body has arrived: it sends a
 * request head, then its body only while no answer has come (or only after a 100 Continue), and reports when the
 * answer came, how much of the body had been sent by then, and whether the server closed the connection.
 * fetch() cannot say any of that: it sends the whole body first.
 */
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Milliseconds from the first byte sent to the answer's head. */
  answeredMs: number;
  /** Body bytes this client had written when the answer's head arrived. */
  sentWhenAnswered: number;
  /** The server ended the connection (FIN or reset) within `closeWithinMs` of the answer. */
  closed: boolean;
  /** Interim 100 Continue seen. */
  continued: boolean;
}

/**
 * Sends a request head and then, only while the server has not answered, its body: `body`, or `bodyBytes` of
 * filler in 64 KiB chunks (`sendBody` false: the head only; `waitContinue`: the body only after a 100 Continue).
 * Resolves once the answer is in and the connection is closed or `closeWithinMs` has passed.
 */
export function rawRequest(
  url: string,
  head: string,
  opts: {
    body?: Buffer;
    bodyBytes?: number;
    sendBody?: boolean;
    waitContinue?: boolean;
    /** Keep sending the body after the answer (a client that does not look), until the server ends. */
    keepSending?: boolean;
    closeWithinMs?: number;
    timeoutMs?: number;
    /** The CA to trust for an https:// URL. */
    ca?: string | Buffer;
  } = {},
): Promise<RawAnswer> {
  const body = opts.body ?? Buffer.alloc(opts.bodyBytes ?? 0, 0x61);
  return new Promise((resolve, reject) => {
    const { protocol, hostname, port } = new URL(url);
    const at = { host: hostname.replace(/^\[|\]$/g, ''), port: Number(port) };
    const socket = protocol === 'https:' ? tlsConnect({ ...at, ca: opts.ca }) : connect(at);
    const started = Date.now();
    let sent = 0;
    let text = Buffer.alloc(0);
    let continued = false;
    let answer: Omit<RawAnswer, 'closed' | 'body'> | undefined;
    let closed = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${opts.timeoutMs ?? 5000} ms (sent ${sent} body bytes)`));
    }, opts.timeoutMs ?? 5000);
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      if (!answer) return reject(new Error('connection closed without an answer'));
      const raw = text.toString('latin1');
      resolve({ ...answer, body: raw.slice(raw.lastIndexOf('\r\n\r\n') + 4), closed });
    };
    // One chunk per turn of the event loop, as a client streaming a file does: an answer that has arrived is
    // seen before the next chunk goes out.
    const pump = (): void => {
      if ((answer && !opts.keepSending) || closed || sent >= body.length || socket.destroyed) return;
      const n = Math.min(64 * 1024, body.length - sent);
      const ok = socket.write(body.subarray(sent, sent + n));
      sent += n;
      if (ok) setImmediate(pump);
      else socket.once('drain', pump);
    };
    socket.on('error', () => {
      // EPIPE / ECONNRESET once the server closed while this client was still sending: expected.
    });
    socket.on('data', (d: Buffer) => {
      text = Buffer.concat([text, d]);
      let raw = text.toString('latin1');
      if (!continued && raw.startsWith('HTTP/1.1 100') && raw.includes('\r\n\r\n')) {
        continued = true;
        if (opts.waitContinue) pump();
      }
      if (continued) raw = raw.slice(raw.indexOf('\r\n\r\n') + 4);
      const end = raw.indexOf('\r\n\r\n');
      if (answer || end < 0) return;
      const [statusLine = '', ...lines] = raw.slice(0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      answer = {
        status: Number(statusLine.split(' ')[1]),
        headers,
        answeredMs: Date.now() - started,
        sentWhenAnswered: sent,
        continued,
      };
      setTimeout(finish, opts.closeWithinMs ?? 1500);
    });
    // The server ended the connection (its FIN, or a reset): it is not waiting for the rest of the body.
    socket.on('end', () => {
      closed = true;
      if (answer) finish();
    });
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.on(protocol === 'https:' ? 'secureConnect' : 'connect', () => {
      socket.write(head);
      if (opts.sendBody !== false && !opts.waitContinue) pump();
    });
  });
}
