import { describe, expect, it } from 'vitest';
import { defaultConfig, mergeConfig } from './config';

describe('runtime configuration', () => {
  it("defaults to the portal server's proxy at /gw/<org>, one per org of the consortium", () => {
    expect(defaultConfig({}).gateways).toEqual({
      'commercial-bank': '/gw/commercial-bank',
      'national-bank': '/gw/national-bank',
      ecta: '/gw/ecta',
      ecx: '/gw/ecx',
      'shipping-line': '/gw/shipping-line',
      customs: '/gw/customs',
    });
  });

  it('takes VITE_GATEWAY_* from the build environment', () => {
    expect(
      defaultConfig({ VITE_GATEWAY_SHIPPING_LINE: 'https://sl.example' }).gateways['shipping-line'],
    ).toBe('https://sl.example');
  });

  it.each([
    [{ gateways: { ecx: 'https://ecx.example/' } }, 'ecx', 'https://ecx.example'],
    [{ gateways: { ecx: 'javascript:alert(1)' } }, 'ecx', '/gw/ecx'],
    [{ gateways: { ecx: '/gw/ecx' } }, 'ecx', '/gw/ecx'],
    [{ gateways: { ecx: '//evil.example' } }, 'ecx', '/gw/ecx'],
    [{ gateways: { nope: 'https://x' } }, 'ecx', '/gw/ecx'],
    ['not an object', 'ecx', '/gw/ecx'],
  ] as const)('/config.json %j → %s = %s', (raw, org, url) => {
    expect(mergeConfig(defaultConfig({}), raw).gateways[org]).toBe(url);
  });
});
