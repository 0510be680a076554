/**
 * Media types of uploads decided by content, not by what the client declares: a document is accepted only if
 * its bytes are one of the allowlisted types and agree with the declared type; a download is served with its
 * recorded type only if that type is still allowlisted.
 *
 * Binary types are recognised by magic bytes (PDF, PNG, JPEG, GIF, TIFF both byte orders, WebP).
 *
 * Text types have no magic bytes, so for them the declared type decides, after these checks (deliberately
 * strict; a refusal is a clear 415, never a silent rewrite):
 *   - only text/plain, text/csv and application/json (or another allowlisted text/* or *+json type) are
 *     verified as text; any other allowlisted type this module cannot verify is refused;
 *   - the bytes must be UTF-8 (a BOM is allowed) without NUL or other control characters than tab, LF, CR, FF;
 *   - markup is refused (a stored-XSS vector should a browser ever render it): text that begins, after
 *     whitespace and a BOM, with `<` and a letter, `!`, `?` or `/`, or whose first KiB holds `<html`,
 *     `<script`, `<svg`, `<!doctype html`, `<iframe`, `<object`, `<embed`, `<body` or `<?xml`;
 *   - application/json must parse.
 * Markup types (text/html, image/svg+xml, XML, JavaScript) are refused on upload and served as
 * application/octet-stream even if an operator allowlists them.
 * A declared type of application/octet-stream (or none) means "unknown": a binary type recognised by its magic
 * bytes is accepted as that type; text cannot be told apart and is refused until its type is declared.
 */
import { AppError } from '../errors.ts';

const OCTET_STREAM = 'application/octet-stream';

const NEVER_SERVED = new Set([
  'text/html',
  'application/xhtml+xml',
  'image/svg+xml',
  'text/xml',
  'application/xml',
  'text/javascript',
  'application/javascript',
  'application/ecmascript',
  'text/ecmascript',
]);

const ALIASES: Readonly<Record<string, string>> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'application/x-pdf': 'application/pdf',
};

function startsWith(bytes: Uint8Array, magic: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + magic.length) return false;
  return magic.every((b, i) => bytes[offset + i] === b);
}

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/** Magic bytes of the binary types, first match wins. */
const MAGIC: readonly { type: string; test: (b: Uint8Array) => boolean }[] = [
  { type: 'application/pdf', test: (b) => startsWith(b, ascii('%PDF-')) },
  { type: 'image/png', test: (b) => startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  { type: 'image/jpeg', test: (b) => startsWith(b, [0xff, 0xd8, 0xff]) },
  { type: 'image/gif', test: (b) => startsWith(b, ascii('GIF87a')) || startsWith(b, ascii('GIF89a')) },
  {
    type: 'image/tiff',
    test: (b) => startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a]),
  },
  { type: 'image/webp', test: (b) => startsWith(b, ascii('RIFF')) && startsWith(b, ascii('WEBPVP8'), 8) },
];

/** The media type the bytes prove by their magic bytes, or undefined (text, markup, unknown). */
export function sniffMediaType(bytes: Uint8Array): string | undefined {
  return MAGIC.find((m) => m.test(bytes))?.type;
}

/** `Type/Sub; charset=x` -> `type/sub`, aliases resolved. */
function normalize(mediaType: string): string {
  const bare = (mediaType.split(';')[0] ?? '').trim().toLowerCase();
  return ALIASES[bare] ?? bare;
}

function isTextType(t: string): boolean {
  return t.startsWith('text/') || t === 'application/json' || t.endsWith('+json');
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
/** Control characters other than tab, LF, FF and CR (and DEL). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000e-\u001f\u007f]/;
const MARKUP_START = /^[\s\uFEFF]*<[a-z!?/]/i;
const MARKUP_ANYWHERE = /<(?:html|script|svg|iframe|object|embed|body)\b|<!doctype\s+html|<\?xml/i;
const SNIFF_WINDOW = 1024;

function unsupported(message: string): AppError {
  return new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', message);
}

/** Checks that the bytes are plain UTF-8 text (or JSON) and not markup. */
function checkText(bytes: Uint8Array, type: string): void {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw unsupported(`the document is declared ${type} but is not UTF-8 text`);
  }
  if (CONTROL.test(text)) throw unsupported(`the document is declared ${type} but holds binary data`);
  if (MARKUP_START.test(text) || MARKUP_ANYWHERE.test(text.slice(0, SNIFF_WINDOW)))
    throw unsupported('the document looks like HTML, SVG or XML markup, which is not accepted');
  if (type === 'application/json' || type.endsWith('+json')) {
    try {
      JSON.parse(text);
    } catch {
      throw unsupported(`the document is declared ${type} but is not valid JSON`);
    }
  }
}

function shown(declared: string): string {
  return /^[a-z]+\/[a-z0-9.+-]{1,100}$/.test(declared) ? declared : 'the declared type';
}

/**
 * The media type to record for an upload: the content must be one of the allowlisted types and agree with
 * the declared type (see the module comment for text). Throws AppError 415 UNSUPPORTED_MEDIA_TYPE otherwise.
 */
export function checkUploadMediaType(
  bytes: Uint8Array,
  declared: string,
  allowlist: readonly string[],
): string {
  const allowed = new Set(allowlist.map(normalize).filter((t) => !NEVER_SERVED.has(t)));
  const claimed = normalize(declared);
  const unknown = claimed === '' || claimed === OCTET_STREAM;
  if (NEVER_SERVED.has(claimed)) throw unsupported(`${claimed} documents are not accepted`);
  const sniffed = sniffMediaType(bytes);
  if (sniffed !== undefined) {
    if (!allowed.has(sniffed)) throw unsupported(`the document is ${sniffed}, which is not accepted`);
    if (!unknown && claimed !== sniffed)
      throw unsupported(`the document is declared ${shown(claimed)} but its content is ${sniffed}`);
    return sniffed;
  }
  if (unknown) throw unsupported('the type of the document cannot be recognised; declare its media type');
  if (!allowed.has(claimed)) throw unsupported(`${shown(claimed)} documents are not accepted`);
  if (!isTextType(claimed))
    throw unsupported(`the document is declared ${claimed} but its content is not ${claimed}`);
  checkText(bytes, claimed);
  return claimed;
}

/** The Content-Type to serve a stored document with: its type if allowlisted, else application/octet-stream. */
export function safeDownloadType(mediaType: string, allowlist: readonly string[]): string {
  const t = normalize(mediaType);
  if (NEVER_SERVED.has(t)) return OCTET_STREAM;
  return allowlist.some((a) => normalize(a) === t) ? t : OCTET_STREAM;
}
