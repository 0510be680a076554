import { act, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeXhr, waitForXhr } from '../../test/fakeXhr';
import { renderAt, signIn, stubFetch } from '../../test/helpers';
import { CreateWizard } from './CreateWizard';

const SHA = 'd'.repeat(64);
const next = (): Promise<void> => userEvent.click(screen.getByRole('button', { name: 'Next' }));
const future = (days: number): string => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

async function fillToDocuments(): Promise<void> {
  await userEvent.selectOptions(screen.getByLabelText(/Contracted grade/), 'G2');
  await userEvent.type(screen.getByLabelText(/Quantity/), '19200');
  await userEvent.type(screen.getByLabelText(/Origin region/), 'SIDAMA');
  await next();
  await userEvent.type(screen.getByLabelText(/Buyer name/), 'Hamburg Coffee GmbH');
  await userEvent.type(screen.getByLabelText(/Destination country/), 'DE');
  await next();
  await userEvent.type(screen.getByLabelText(/Contract number/), 'SC-2026-001');
  await userEvent.selectOptions(screen.getByLabelText(/Incoterm/), 'FOB');
  await userEvent.type(screen.getByLabelText(/Unit price/), '4.25');
  await userEvent.selectOptions(screen.getByLabelText(/Payment method/), 'LC');
  await next();
  await userEvent.type(screen.getByLabelText(/Earliest shipment/), future(10));
  await userEvent.type(screen.getByLabelText(/Latest shipment/), future(60));
  await next();
}

describe('CreateWizard', () => {
  beforeEach(() => {
    FakeXhr.reset();
    vi.stubGlobal('XMLHttpRequest', FakeXhr);
    signIn('exporter', 'commercial-bank', { exporterId: 'EXPORTER-1' });
  });
  afterEach(() => vi.unstubAllGlobals());

  it('stays on a step until its fields are valid, and says why', async () => {
    stubFetch(() => undefined);
    renderAt(<CreateWizard />);
    expect(screen.getByRole('heading', { name: /Step 1 of 6: Coffee/ })).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText(/Quantity/), '12.5');
    await userEvent.type(screen.getByLabelText(/Origin region/), 'sidama');
    await next();
    expect(screen.getByRole('heading', { name: /Step 1 of 6/ })).toBeInTheDocument();
    expect(screen.getByText('Choose a contracted grade')).toBeInTheDocument();
    expect(screen.getByText('Quantity (kg) must be a whole number')).toBeInTheDocument();
    expect(screen.getByText(/Origin region must be UPPER_SNAKE/)).toBeInTheDocument();
  });

  it('proposes the contract value from price × quantity and refuses an inconsistent one', async () => {
    stubFetch(() => undefined);
    renderAt(<CreateWizard />);
    await userEvent.selectOptions(screen.getByLabelText(/Contracted grade/), 'G2');
    await userEvent.type(screen.getByLabelText(/Quantity/), '1000');
    await userEvent.type(screen.getByLabelText(/Origin region/), 'GUJI');
    await next();
    await userEvent.type(screen.getByLabelText(/Buyer name/), 'B');
    await userEvent.type(screen.getByLabelText(/Destination country/), 'JP');
    await next();
    await userEvent.type(screen.getByLabelText(/Unit price/), '3.5');
    expect(screen.getByLabelText(/Contract value/)).toHaveValue('3500.00');
    await userEvent.clear(screen.getByLabelText(/Contract value/));
    await userEvent.type(screen.getByLabelText(/Contract value/), '3400');
    await next();
    expect(
      screen.getByText('Contract value must equal unit price × quantity (3500.00 USD)'),
    ).toBeInTheDocument();
  });

  it('requires both documents, uploads them with progress and submits the request', async () => {
    const calls = stubFetch((c) =>
      c.url.endsWith('/api/v1/exports') && c.method === 'POST'
        ? {
            status: 201,
            body: { id: (c.body as { exportId: string }).exportId, status: 'SUBMITTED', txId: 'tx-1' },
          }
        : undefined,
    );
    renderAt(<CreateWizard />);
    await fillToDocuments();
    expect(screen.getByRole('heading', { name: /Documents/ })).toBeInTheDocument();
    await next();
    expect(screen.getByText('Attach the Sales contract')).toBeInTheDocument();
    expect(screen.getByText('Attach the Proforma invoice')).toBeInTheDocument();
    await userEvent.upload(
      screen.getByLabelText(/Sales contract/),
      new File(['contract'], 'contract.pdf', { type: 'application/pdf' }),
    );
    await userEvent.upload(
      screen.getByLabelText(/Proforma invoice/),
      new File(['proforma'], 'proforma.pdf', { type: 'application/pdf' }),
    );
    await next();
    expect(screen.getByRole('heading', { name: /Review and submit/ })).toBeInTheDocument();
    expect(screen.getByText('Hamburg Coffee GmbH')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Submit export request' }));

    const first = await waitForXhr(1);
    act(() => first.progress(50, 100));
    expect(await screen.findByRole('progressbar', { name: 'Uploading Sales contract' })).toHaveAttribute(
      'value',
      '50',
    );
    await act(async () => {
      first.respond(201, { type: 'SALES_CONTRACT', version: 1, cid: 'QmSc', sha256: SHA, size: 8 });
      await Promise.resolve();
    });
    const second = await waitForXhr(2);
    await act(async () => {
      second.respond(201, { type: 'PROFORMA_INVOICE', version: 1, cid: 'QmPi', sha256: SHA, size: 8 });
      await Promise.resolve();
    });

    const id = await screen.findByTestId('created-export-id');
    const post = calls.find((c) => c.method === 'POST' && c.url === '/gw/commercial-bank/api/v1/exports');
    const body = post?.body as Record<string, unknown> & { exportId: string; tradeTerms: object };
    expect(id).toHaveTextContent(body.exportId);
    expect(first.url).toBe('/gw/commercial-bank/api/v1/documents');
    expect(Object.keys(body.details as object)).toEqual(['shipEarliest', 'shipLatest']);
    expect(body.exportId).toMatch(/^EXP-\d{8}-[0-9A-F]{6}$/);
    expect(body).toMatchObject({
      contract: {
        contractNumber: 'SC-2026-001',
        buyerName: 'Hamburg Coffee GmbH',
        destinationCountry: 'DE',
        contractedGrade: 'G2',
        quantityKg: 19200,
        originRegion: 'SIDAMA',
        incoterm: 'FOB',
      },
      tradeTerms: { unitPriceUsdPerKg: 4.25, contractValueUsd: 81600, paymentMethod: 'LC' },
      documents: [
        { type: 'SALES_CONTRACT', cid: 'QmSc' },
        { type: 'PROFORMA_INVOICE', cid: 'QmPi' },
      ],
    });
    // The gateway salts the commitment; the portal neither sends, shows nor keeps a salt.
    expect(Object.keys(body.tradeTerms).sort()).toEqual([
      'contractValueUsd',
      'paymentMethod',
      'unitPriceUsdPerKg',
    ]);
    expect(screen.queryByTestId('created-salt')).toBeNull();
    expect(document.body.textContent).not.toMatch(/salt/i);
    expect(Object.keys(localStorage).filter((k) => /salt/i.test(k))).toEqual([]);
    expect(post?.headers['Idempotency-Key']).toBeTruthy();
  });

  it('shows the API problem and keeps the request for a retry', async () => {
    stubFetch((c) =>
      c.method === 'POST'
        ? {
            status: 403,
            body: { code: 'LICENSE_INVALID', title: 'Forbidden', detail: 'licence expired 2026-01-01' },
          }
        : undefined,
    );
    renderAt(<CreateWizard />);
    await fillToDocuments();
    await userEvent.upload(
      screen.getByLabelText(/Sales contract/),
      new File(['a'], 'a.pdf', { type: 'application/pdf' }),
    );
    await userEvent.upload(
      screen.getByLabelText(/Proforma invoice/),
      new File(['b'], 'b.pdf', { type: 'application/pdf' }),
    );
    await next();
    await userEvent.click(screen.getByRole('button', { name: 'Submit export request' }));
    await act(async () => {
      (await waitForXhr(1)).respond(201, { type: 'SALES_CONTRACT', cid: 'QmA', sha256: SHA, size: 1 });
      await Promise.resolve();
    });
    await act(async () => {
      (await waitForXhr(2)).respond(201, { type: 'PROFORMA_INVOICE', cid: 'QmB', sha256: SHA, size: 1 });
      await Promise.resolve();
    });
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent("The exporter's licence is not valid");
    expect(alert).toHaveTextContent('licence expired 2026-01-01');
    expect(screen.getByRole('button', { name: 'Submit export request' })).toBeEnabled();
  });
});
