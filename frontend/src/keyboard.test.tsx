/** The main walk with the keyboard alone: Tab, Shift+Tab, Enter and typing; focus never falls off the page. */
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from './App';
import { reloadSession } from './api/client';
import { DEMO_ACCOUNTS_URL } from './features/auth/demoAccounts';
import { type GatewayData, fullData, gateway } from './test/fakeGateway';
import { renderAt, sampleExport, signIn, stubFetch } from './test/helpers';

/** Tabs forward until `found` holds for the focused element (at most `max` presses). */
async function tabTo(found: (el: Element) => boolean, what: string, max = 80): Promise<HTMLElement> {
  for (let i = 0; i < max; i++) {
    await userEvent.tab();
    const el = document.activeElement;
    if (el && el !== document.body && found(el)) return el as HTMLElement;
  }
  throw new Error(`Tab never reached ${what}`);
}

const named = (name: string | RegExp) => (el: Element) =>
  typeof name === 'string' ? el.textContent?.trim() === name : name.test(el.textContent ?? '');

function serve(data: GatewayData, demo?: unknown): void {
  const answer = gateway(data);
  stubFetch((c) =>
    c.url === DEMO_ACCOUNTS_URL ? (demo ? { status: 200, body: demo } : undefined) : answer(c),
  );
}

describe('keyboard only', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('signs in with a demo account, opens an export from the queue and registers its contract', async () => {
    reloadSession();
    serve(
      { ...fullData(), logins: { 'ecta.officer': 'ecta_officer' } },
      {
        mode: 'development',
        accounts: [{ org: 'ecta', role: 'ecta_officer', username: 'ecta.officer', password: 'pw-1' }],
        exports: [],
      },
    );
    renderAt(<App />, '/login');
    await screen.findByRole('region', { name: 'Demo accounts' });

    await tabTo(named(/^Use ecta\.officer/), 'the demo account');
    await userEvent.keyboard('{Enter}');
    expect(screen.getByRole('button', { name: 'Sign in' })).toHaveFocus();
    await userEvent.keyboard('{Enter}');
    await screen.findByRole('heading', { name: 'What needs me now' });

    // The first stop on every signed-in page: the skip link.
    (document.activeElement as HTMLElement | null)?.blur();
    await userEvent.tab();
    expect(document.activeElement).toHaveTextContent('Skip to content');

    await screen.findByRole('link', { name: 'EXP-1' });
    await tabTo(named('EXP-1'), 'the queued export');
    await userEvent.keyboard('{Enter}');
    await screen.findByRole('heading', { name: /Export EXP-1/ });

    await tabTo(named('Register the sales contract'), 'the action');
    await userEvent.keyboard('{Enter}');
    const field = await tabTo((el) => el.getAttribute('name') === 'registrationNumber', 'the form field');
    expect(field).toHaveAccessibleName(/Registration number/);
    await userEvent.keyboard('ECTA/REG/1{Enter}');
    // The form is gone: focus lands on its outcome, not on the top of the page.
    await waitFor(() => {
      expect(document.activeElement).not.toBe(document.body);
      expect(document.activeElement).toHaveTextContent(/^Register the sales contract: done/);
    });
  });

  it('ECTA edits a licence in its row: focus goes into the editor and back to Manage on Cancel', async () => {
    signIn('ecta_officer', 'ecta');
    serve(fullData());
    renderAt(<App />, '/exporters');
    await screen.findByText('Sidama Coffee PLC');
    const manage = await tabTo(named(/^Manage/), 'Manage');
    await userEvent.keyboard('{Enter}');
    expect(document.activeElement).toHaveAccessibleName('Status');
    await tabTo(named('Cancel'), 'Cancel');
    await userEvent.keyboard('{Enter}');
    await waitFor(() => expect(screen.getByRole('button', { name: 'Manage EXPORTER-1' })).toHaveFocus());
    expect(manage.id).toBe('manage-EXPORTER-1');
  });

  it('the National Bank’s confirmation takes focus, and Cancel gives it back', async () => {
    signIn('fx_officer', 'national-bank');
    const data = fullData();
    data.exports.push(
      sampleExport({
        exportId: 'EXP-LATE',
        status: 'SHIPPED',
        shipment: {
          billOfLadingNumber: 'BL-1',
          onBoardDate: '2026-01-01T00:00:00Z',
          shippedAt: '2026-01-01T00:00:00Z',
          repatriationDueAt: '2026-02-01T00:00:00Z',
        },
      }),
    );
    serve(data);
    renderAt(<App />, '/exporters');
    await screen.findByRole('button', { name: 'Mark delinquent EXP-LATE' });
    await tabTo(named('Mark delinquent'), 'Mark delinquent');
    await userEvent.keyboard('{Enter}');
    expect(screen.getByRole('button', { name: 'Confirm: Mark delinquent EXP-LATE' })).toHaveFocus();
    await userEvent.tab();
    expect(document.activeElement).toHaveTextContent('Cancel');
    await userEvent.keyboard('{Enter}');
    expect(screen.getByRole('button', { name: 'Mark delinquent EXP-LATE' })).toHaveFocus();
  });
});
