/**
 * Saving an uploaded document. Uploaded files come from other organizations: the portal never renders one in
 * its own origin (no window.open, iframe, img, object or embed of document bytes, no navigation to a blob URL).
 * The bytes are re-typed as application/octet-stream and handed to the browser's download through an
 * `<a download>` click, so even an HTML or SVG file can only be saved, never executed here.
 */

/** The browser starts reading a blob URL after the click returns; keep it that long, then release it. */
export const REVOKE_AFTER_MS = 10_000;

const EXTENSIONS: Record<string, string> = {
  'application/pdf': '.pdf',
  'image/png': '.png',
  'image/jpeg': '.jpg',
  'image/tiff': '.tif',
  'text/plain': '.txt',
  'application/xml': '.xml',
  'text/xml': '.xml',
  'application/json': '.json',
};

/** A safe file name: `<export>-<type>-v<version><ext>`, only letters, digits, '.', '_' and '-'. */
export function downloadName(parts: Array<string | number | undefined>, mediaType?: string): string {
  const base = parts
    .filter((p) => p !== undefined && p !== '')
    .map((p) => String(p).replace(/[^A-Za-z0-9._-]+/g, '_'))
    .join('-');
  const ext = EXTENSIONS[(mediaType ?? '').split(';')[0]?.trim().toLowerCase() ?? ''] ?? '.bin';
  return `${base || 'document'}${ext}`;
}

/** Saves the bytes as a file (octet-stream, `download` attribute); nothing is displayed. */
export function saveBlob(bytes: BlobPart, fileName: string, revokeAfterMs = REVOKE_AFTER_MS): void {
  const blob = new Blob([bytes], { type: 'application/octet-stream' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  try {
    a.click();
  } finally {
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), revokeAfterMs);
  }
}
