/// <reference types="vitest/config" />
import { type Plugin, defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { createProxyMiddleware } from 'http-proxy-middleware';
import { existsSync, readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoAccountsPlugin } from './demo-accounts';

const host = '127.0.0.1';
const port = Number(process.env.PORTAL_PORT ?? 3000);

/**
 * Same-origin paths /gw/<org>/... → that org's gateway, from server/gateways.ts (the production server's mapping
 * too). Loaded through Vite itself: the org table is @coffee/consortium's TypeScript, which Node cannot load
 * while it reads this file.
 */
function gatewayProxyPlugin(): Plugin {
  return {
    name: 'coffee-gateway-proxy',
    apply: 'serve',
    async configureServer(server) {
      if (process.env.VITEST) return;
      const gateways = (await server.ssrLoadModule(
        '/server/gateways.ts',
      )) as typeof import('./server/gateways');
      // The gateways serve HTTPS: verified against PORTAL_GATEWAY_CA_FILE, else the launcher's CA bundle.
      const runDir = process.env.COFFEE_RUN_DIR ?? fileURLToPath(new URL('../.run', import.meta.url));
      const caFile = process.env.PORTAL_GATEWAY_CA_FILE ?? join(runDir, 'tls', 'ca-bundle.pem');
      const agent = new Agent({
        keepAlive: true,
        ...(existsSync(caFile) ? { ca: readFileSync(caFile) } : {}),
      });
      for (const [org, target] of Object.entries(gateways.gatewayTargets())) {
        const proxy = createProxyMiddleware({
          target,
          changeOrigin: true,
          ...(target.startsWith('https:') ? { agent, secure: true } : {}),
        });
        server.middlewares.use(gateways.gatewayPrefix(org), (req, res, next) => void proxy(req, res, next));
      }
    },
  };
}

// The development server (`vite`); the build is served in production by server/server.ts (`npm start`).
// Gateway URLs: /config.json (optional, editable after build) wins over VITE_GATEWAY_* env (baked in at build
// time), which wins over the same-origin proxy /gw/<org> (src/config.ts).
// /demo-accounts.json: the development seeder's accounts from the file PORTAL_DEMO_ACCOUNTS names (else 404).
export default defineConfig({
  plugins: [react(), demoAccountsPlugin(), gatewayProxyPlugin()],
  server: { host, port, strictPort: true },
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
