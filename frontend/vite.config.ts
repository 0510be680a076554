/// <reference types="vitest/config" />
import { type ProxyOptions, defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { demoAccountsPlugin } from './demo-accounts';

const host = '127.0.0.1';
const port = Number(process.env.PORTAL_PORT ?? 3000);

const GATEWAY_PORTS = {
  'commercial-bank': 3001,
  'national-bank': 3002,
  ecta: 3003,
  ecx: 3004,
  'shipping-line': 3005,
  customs: 3006,
} as const;

/**
 * Same-origin paths /gw/<org>/... → that org's gateway, for gateways that send no CORS headers: point
 * /config.json's gateways at "/gw/<org>" (the shipped public/config.json does). Targets default to
 * 127.0.0.1:3001..3006; PORTAL_GATEWAY_<ORG> (e.g. PORTAL_GATEWAY_SHIPPING_LINE) overrides one.
 */
function gatewayProxies(): Record<string, ProxyOptions> {
  return Object.fromEntries(
    Object.entries(GATEWAY_PORTS).map(([org, gwPort]) => {
      const target =
        process.env[`PORTAL_GATEWAY_${org.toUpperCase().replace(/-/g, '_')}`] ?? `http://127.0.0.1:${gwPort}`;
      const prefix = `/gw/${org}`;
      return [prefix, { target, changeOrigin: true, rewrite: (p: string) => p.slice(prefix.length) || '/' }];
    }),
  );
}

// Gateway URLs: /config.json (served from public/, editable after build) wins over VITE_GATEWAY_* env
// (baked in at build time), which wins over the defaults http://127.0.0.1:3001..3006 (src/config.ts).
// /demo-accounts.json: the development seeder's accounts from the file PORTAL_DEMO_ACCOUNTS names (else 404).
export default defineConfig({
  plugins: [react(), demoAccountsPlugin()],
  server: { host, port, strictPort: true, proxy: gatewayProxies() },
  preview: { host, port, strictPort: true, proxy: gatewayProxies() },
  build: { outDir: 'dist', sourcemap: true },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          environment: 'jsdom',
          globals: true,
          setupFiles: ['./src/test/setup.ts'],
          include: ['src/**/*.test.{ts,tsx}', '*.test.ts'],
          css: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['e2e/**/*.e2e.ts'],
          testTimeout: 15 * 60_000,
          hookTimeout: 5 * 60_000,
        },
      },
    ],
  },
});
