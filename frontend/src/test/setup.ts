import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { afterEach, vi } from 'vitest';

// Pages subscribe to the gateway's live event stream (api/events.ts); page tests answer the calls a page makes to
// load, so the stream stays closed here. api/events.test.ts tests the stream itself (vi.importActual).
vi.mock('../api/events', async (importActual) => ({
  ...(await importActual<typeof import('../api/events')>()),
  subscribeExportEvents: () => () => undefined,
}));

afterEach(() => {
  cleanup();
  sessionStorage.clear();
});
