/** The portal's routes, read from src/App.tsx: the browser walk (portal.e2e.ts) and the HTTPS walk (https-walk.ts). */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const APP = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'App.tsx');

/** The routes of App.tsx (nested paths made absolute, the index as "/", catch-alls left out). */
export function appRoutes(): string[] {
  const source = readFileSync(APP, 'utf8');
  const routes = [...source.matchAll(/<Route\s+(?:index\b|path="([^"]+)")/g)]
    .map((m) => m[1] ?? '/')
    .filter((p) => !p.includes('*'))
    .map((p) => (p.startsWith('/') ? p : `/${p}`));
  return [...new Set(routes)];
}
