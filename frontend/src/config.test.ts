import { describe, expect, it } from 'vitest';
import { defaultConfig, mergeConfig } from './config';

describe('runtime configuration', () => {
  it('defaults to 127.0.0.1:3001..3006', () => {
    expect(defaultConfig({}).gateways).toEqual({
      'commercial-bank': 'http://127.0.0.1:3001',
      'national-bank': 'http://127.0.0.1:3002',
      ecta: 'http://127.0.0.1:3003',
      ecx: 'http://127.0.0.1:3004',
      'shipping-line': 'http://127.0.0.1:3005',
      customs: 'http://127.0.0.1:3006',
    });
  });

  it('takes VITE_GATEWAY_* from the build environment', () => {
    expect(
      defaultConfig({ VITE_GATEWAY_SHIPPING_LINE: 'https://sl.example' }).gateways['shipping-line'],
    ).toBe('https://sl.example');
  });

  it.each([
    [{ gateways: { ecx: 'https://ecx.example/' } }, 'ecx', 'https://ecx.example'],
    [{ gateways: { ecx: 'javascript:alert(1)' } }, 'ecx', 'http://127.0.0.1:3004'],
    [{ gateways: { ecx: '/gw/ecx' } }, 'ecx', '/gw/ecx'],
    [{ gateways: { ecx: '//evil.example' } }, 'ecx', 'http://127.0.0.1:3004'],
    [{ gateways: { nope: 'https://x' } }, 'ecx', 'http://127.0.0.1:3004'],
    ['not an object', 'ecx', 'http://127.0.0.1:3004'],
  ] as const)('/config.json %j → %s = %s', (raw, org, url) => {
    expect(mergeConfig(defaultConfig({}), raw).gateways[org]).toBe(url);
  });
});
