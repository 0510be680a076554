/** Upload media types decided by content: magic bytes, text that is really text, never markup. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_MEDIA_TYPES } from '../src/config.ts';
import { AppError } from '../src/errors.ts';
import { checkUploadMediaType, safeDownloadType, sniffMediaType } from '../src/ipfs/sniff.ts';

const bytes = (...parts: (string | number[])[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

const PDF = bytes('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n');
const PNG = bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13], 'IHDR');
const JPEG = bytes([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10], 'JFIF\0');
const GIF = bytes('GIF89a', [1, 0, 1, 0]);
const TIFF_LE = bytes('II', [0x2a, 0x00, 8, 0, 0, 0]);
const TIFF_BE = bytes('MM', [0x00, 0x2a, 0, 0, 0, 8]);
const WEBP = bytes('RIFF', [0x24, 0, 0, 0], 'WEBPVP8 ');
const HTML = Buffer.from('<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>');

const ALL = [...DEFAULT_MEDIA_TYPES, 'image/gif', 'image/tiff', 'image/webp', 'text/csv'];

function refused(fn: () => unknown, message: string): void {
  assert.throws(
    fn,
    (e: unknown) => e instanceof AppError && e.status === 415 && e.code === 'UNSUPPORTED_MEDIA_TYPE',
    message,
  );
}

describe('media type sniffing', () => {
  it('recognises each binary type by its magic bytes, and nothing else', () => {
    const cases: [Buffer, string | undefined][] = [
      [PDF, 'application/pdf'],
      [PNG, 'image/png'],
      [JPEG, 'image/jpeg'],
      [bytes('GIF87a'), 'image/gif'],
      [GIF, 'image/gif'],
      [TIFF_LE, 'image/tiff'],
      [TIFF_BE, 'image/tiff'],
      [WEBP, 'image/webp'],
      [HTML, undefined],
      [Buffer.from('plain words'), undefined],
      [Buffer.from('{"a":1}'), undefined],
      [bytes('RIFF', [0, 0, 0, 0], 'WAVEfmt '), undefined],
      [bytes(' %PDF-1.7'), undefined],
      [bytes('%PD'), undefined],
      [Buffer.alloc(0), undefined],
    ];
    for (const [input, expected] of cases)
      assert.equal(sniffMediaType(input), expected, `${input.subarray(0, 8).toString('latin1')}`);
  });

  it('accepts content that matches its declared, allowlisted type', () => {
    const cases: [Buffer, string, string][] = [
      [PDF, 'application/pdf', 'application/pdf'],
      [PDF, 'Application/PDF; name=x.pdf', 'application/pdf'],
      [PNG, 'image/png', 'image/png'],
      [JPEG, 'image/jpeg', 'image/jpeg'],
      [JPEG, 'image/jpg', 'image/jpeg'],
      [GIF, 'image/gif', 'image/gif'],
      [TIFF_LE, 'image/tiff', 'image/tiff'],
      [TIFF_BE, 'image/tiff', 'image/tiff'],
      [WEBP, 'image/webp', 'image/webp'],
      [PDF, 'application/octet-stream', 'application/pdf'],
      [PNG, '', 'image/png'],
      [Buffer.from('Lot 42: 300 bags, grade G1.\r\n\tWashed.\n'), 'text/plain; charset=utf-8', 'text/plain'],
      [Buffer.from('\uFEFFUTF-8 text with a BOM, 5 < 6 and caf\u00e9'), 'text/plain', 'text/plain'],
      [Buffer.from('bags,grade\n300,G1\n'), 'text/csv', 'text/csv'],
      [Buffer.from('{"lot":42,"bags":300}'), 'application/json', 'application/json'],
      [Buffer.alloc(0), 'text/plain', 'text/plain'],
    ];
    for (const [input, declared, expected] of cases)
      assert.equal(checkUploadMediaType(input, declared, ALL), expected, declared);
  });

  it('refuses HTML, SVG and XML in every disguise', () => {
    const markup = [
      HTML,
      Buffer.from('  \n<html><body>hi</body></html>'),
      Buffer.from('\uFEFF<!doctype HTML>'),
      Buffer.from('<SCRIPT>alert(1)</SCRIPT>'),
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
      Buffer.from('<?xml version="1.0"?><x/>'),
      Buffer.from('<!-- comment --><b>x</b>'),
      Buffer.from('Dear customs officer,\n<iframe src="https://evil.example"></iframe>'),
      Buffer.from('Totally plain text, then <script src=//evil.example/x.js></script>'),
    ];
    for (const input of markup) {
      const head = input.subarray(0, 24).toString();
      for (const declared of [
        'text/plain',
        'text/csv',
        'application/json',
        'application/pdf',
        'text/html',
        '',
      ])
        refused(() => checkUploadMediaType(input, declared, ALL), `${head} as ${declared}`);
    }
    // even if an operator allowlists markup types, they are not accepted
    refused(() => checkUploadMediaType(HTML, 'text/html', [...ALL, 'text/html']), 'text/html allowlisted');
    refused(() => checkUploadMediaType(HTML, 'image/svg+xml', [...ALL, 'image/svg+xml']), 'svg allowlisted');
  });

  it('refuses content that disagrees with its declared type, or is not allowlisted', () => {
    const cases: [string, Buffer, string, readonly string[]][] = [
      ['a PNG declared as PDF', PNG, 'application/pdf', ALL],
      ['a PDF declared as text', PDF, 'text/plain', ALL],
      ['a PDF declared as JSON', PDF, 'application/json', ALL],
      ['text declared as PDF', Buffer.from('not a pdf'), 'application/pdf', ALL],
      ['text declared as JPEG', Buffer.from('not a jpeg'), 'image/jpeg', ALL],
      ['a GIF under the default allowlist', GIF, 'image/gif', DEFAULT_MEDIA_TYPES],
      [
        'a GIF declared as octet-stream, not allowlisted',
        GIF,
        'application/octet-stream',
        DEFAULT_MEDIA_TYPES,
      ],
      ['text/csv under the default allowlist', Buffer.from('a,b\n'), 'text/csv', DEFAULT_MEDIA_TYPES],
      ['text of unknown type', Buffer.from('hello'), 'application/octet-stream', ALL],
      ['invalid JSON', Buffer.from('{"lot":'), 'application/json', ALL],
      ['text with NUL bytes', Buffer.from('a\u0000b'), 'text/plain', ALL],
      ['UTF-16 text', Buffer.from('\uFEFFhello', 'utf16le'), 'text/plain', ALL],
      ['not UTF-8', Buffer.from([0x68, 0x69, 0xff, 0xfe]), 'text/plain', ALL],
      [
        'an allowlisted type that cannot be verified',
        Buffer.from('PK\u0003\u0004'),
        'application/zip',
        [...ALL, 'application/zip'],
      ],
      ['an unknown declared type', Buffer.from('hello'), 'application/x-whatever', ALL],
    ];
    for (const [name, input, declared, allowlist] of cases)
      refused(() => checkUploadMediaType(input, declared, allowlist), name);
  });

  it('serves only allowlisted types, everything else as application/octet-stream', () => {
    const cases: [string, readonly string[], string][] = [
      ['application/pdf', DEFAULT_MEDIA_TYPES, 'application/pdf'],
      ['image/png', DEFAULT_MEDIA_TYPES, 'image/png'],
      ['text/plain', DEFAULT_MEDIA_TYPES, 'text/plain'],
      ['TEXT/PLAIN; charset=utf-8', DEFAULT_MEDIA_TYPES, 'text/plain'],
      ['image/gif', DEFAULT_MEDIA_TYPES, 'application/octet-stream'],
      ['text/html', DEFAULT_MEDIA_TYPES, 'application/octet-stream'],
      ['text/html', [...DEFAULT_MEDIA_TYPES, 'text/html'], 'application/octet-stream'],
      ['image/svg+xml', ['image/svg+xml'], 'application/octet-stream'],
      ['', DEFAULT_MEDIA_TYPES, 'application/octet-stream'],
      ['text/plain\r\nX-Injected: 1', DEFAULT_MEDIA_TYPES, 'application/octet-stream'],
    ];
    for (const [type, allowlist, expected] of cases)
      assert.equal(safeDownloadType(type, allowlist), expected, JSON.stringify(type));
  });
});
