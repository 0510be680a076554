import { act, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeXhr, waitForXhr } from '../../test/fakeXhr';
import { sampleExport, signIn, stubFetch } from '../../test/helpers';
import { ActionForm } from './ActionForm';
import { ACTION_SPECS } from './actionSpecs';

const SHA = 'c'.repeat(64);

describe('ActionForm', () => {
  beforeEach(() => {
    FakeXhr.reset();
    vi.stubGlobal('XMLHttpRequest', FakeXhr);
  });
  afterEach(() => vi.unstubAllGlobals());

  it('shows field errors and posts nothing while the grading form is invalid', async () => {
    signIn('grader', 'ecx');
    const calls = stubFetch(() => undefined);
    render(
      <ActionForm
        spec={ACTION_SPECS['certify-quality']}
        record={sampleExport({ status: 'CONTRACT_REGISTERED' })}
      />,
    );
    await userEvent.selectOptions(screen.getByLabelText(/Certified grade/), 'G4');
    await userEvent.click(screen.getByRole('button', { name: 'Certify quality' }));
    expect(screen.getByText('Lot number is required')).toBeInTheDocument();
    expect(screen.getByText('Certified G4 is below the contracted G2')).toBeInTheDocument();
    expect(screen.getByText('Attach the Quality certificate')).toBeInTheDocument();
    expect(calls).toHaveLength(0);
    expect(FakeXhr.instances).toHaveLength(0);
  });

  it('uploads the certificate with visible progress, then posts the action with its document ref', async () => {
    signIn('grader', 'ecx');
    const calls = stubFetch((c) =>
      c.url.includes('/actions/')
        ? { status: 200, body: { id: 'EXP-1', status: 'QUALITY_CERTIFIED', txId: 'tx-42', blockNumber: 17 } }
        : undefined,
    );
    const onDone = vi.fn();
    render(
      <ActionForm
        spec={ACTION_SPECS['certify-quality']}
        record={sampleExport({ status: 'CONTRACT_REGISTERED' })}
        onDone={onDone}
      />,
    );
    await userEvent.type(screen.getByLabelText(/Lot number/), 'LOT-7');
    await userEvent.type(screen.getByLabelText(/Warehouse receipt/), 'WR-7');
    await userEvent.type(screen.getByLabelText(/Cup score/), '86.25');
    await userEvent.type(screen.getByLabelText(/Moisture/), '10.5');
    await userEvent.type(screen.getByLabelText(/Defects per 300 g/), '3');
    await userEvent.upload(
      screen.getByLabelText(/Quality certificate/),
      new File(['certificate bytes'], 'qc.pdf', { type: 'application/pdf' }),
    );
    await userEvent.click(screen.getByRole('button', { name: 'Certify quality' }));

    const xhr = await waitForXhr(1);
    expect(xhr.url).toBe('/gw/ecx/api/v1/documents');
    expect((xhr.body as FormData).get('type')).toBe('QUALITY_CERTIFICATE');
    act(() => xhr.progress(40, 100));
    const bar = await screen.findByRole('progressbar', { name: 'Uploading Quality certificate' });
    await waitFor(() => expect(bar).toHaveAttribute('value', '40'));
    expect(screen.getByText('40%')).toBeInTheDocument();
    act(() => xhr.progress(100, 100));
    await act(async () => {
      xhr.respond(201, {
        type: 'QUALITY_CERTIFICATE',
        version: 1,
        cid: 'QmQc',
        sha256: SHA,
        size: 17,
        mediaType: 'application/pdf',
      });
      await Promise.resolve();
    });

    expect(await screen.findByTestId('action-result-status')).toHaveTextContent('QUALITY_CERTIFIED');
    expect(screen.getByText(/in block 17/)).toBeInTheDocument();
    const post = calls.find((c) => c.url.endsWith('/exports/EXP-1/actions/certify-quality'));
    expect(post?.method).toBe('POST');
    expect(post?.headers['Idempotency-Key']).toBeTruthy();
    expect(post?.body).toEqual({
      lotNumber: 'LOT-7',
      warehouseReceiptNumber: 'WR-7',
      certifiedGrade: 'G2',
      cupScore: 86.25,
      moisturePercent: 10.5,
      defectsPer300g: 3,
      certifiedQuantityKg: 19200,
      documents: [{ type: 'QUALITY_CERTIFICATE', cid: 'QmQc' }],
    });
    expect(onDone).toHaveBeenCalledWith(expect.objectContaining({ txId: 'tx-42' }));
  });

  it('does not re-upload a finished file when the action is retried after a problem', async () => {
    signIn('bank_officer');
    let attempts = 0;
    const calls = stubFetch((c) => {
      if (!c.url.includes('/actions/')) return undefined;
      attempts += 1;
      return attempts === 1
        ? {
            status: 409,
            body: {
              code: 'PAYMENT_METHOD_MISMATCH',
              title: 'Conflict',
              detail: 'the FX application payment method differs from the contracted one',
            },
          }
        : { status: 200, body: { id: 'EXP-1', status: 'FX_SUBMITTED', txId: 't' } };
    });
    render(
      <ActionForm spec={ACTION_SPECS['submit-fx']} record={sampleExport({ status: 'QUALITY_CERTIFIED' })} />,
    );
    await userEvent.selectOptions(screen.getByLabelText(/Payment method/), 'CAD');
    await userEvent.type(screen.getByLabelText(/LC \/ advance reference/), 'LC-1');
    await userEvent.type(screen.getByLabelText(/Amount/), '81600');
    await userEvent.upload(
      screen.getByLabelText(/LC or advance advice/),
      new File(['lc'], 'lc.pdf', { type: 'application/pdf' }),
    );
    await userEvent.click(screen.getByRole('button', { name: 'Submit FX application' }));
    const x1 = await waitForXhr(1);
    await act(async () => {
      x1.respond(201, { type: 'LC_OR_ADVANCE_ADVICE', cid: 'QmLc', sha256: SHA, size: 2 });
      await Promise.resolve();
    });
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'The payment method differs from the one in the contract.',
    );
    await userEvent.selectOptions(screen.getByLabelText(/Payment method/), 'LC');
    await userEvent.click(screen.getByRole('button', { name: 'Submit FX application' }));
    await screen.findByTestId('action-result-status');
    expect(FakeXhr.instances).toHaveLength(1);
    const posts = calls.filter((c) => c.url.includes('/actions/submit-fx'));
    expect(posts).toHaveLength(2);
    expect(posts[0]?.headers['Idempotency-Key']).toBe(posts[1]?.headers['Idempotency-Key']);
    expect(posts[1]?.body).toMatchObject({ fxApplication: { paymentMethod: 'LC' } });
  });

  it('requires an explicit confirmation before a rejection', async () => {
    signIn('ecta_officer', 'ecta');
    const calls = stubFetch(() => ({ status: 200, body: { id: 'EXP-1', status: 'REJECTED', txId: 't' } }));
    render(<ActionForm spec={ACTION_SPECS.reject} record={sampleExport()} />);
    await userEvent.selectOptions(screen.getByLabelText(/Reason code/), 'PRICE_BELOW_MINIMUM');
    await userEvent.type(screen.getByLabelText(/Explanation/), 'Price 2.10 is below MP-000003');
    await userEvent.click(screen.getByRole('button', { name: 'Reject export' }));
    expect(screen.getByText('Tick the box to confirm')).toBeInTheDocument();
    expect(calls).toHaveLength(0);
    await userEvent.click(screen.getByLabelText(/rejection is final/));
    await userEvent.click(screen.getByRole('button', { name: 'Reject export' }));
    await screen.findByTestId('action-result-status');
    expect(calls[0]).toMatchObject({
      url: '/gw/ecta/api/v1/exports/EXP-1/actions/reject',
      body: { reasonCode: 'PRICE_BELOW_MINIMUM', reason: 'Price 2.10 is below MP-000003' },
    });
  });

  it('posts start-inspection for a YELLOW-lane declaration', async () => {
    signIn('customs_officer', 'customs');
    const have = [
      'SALES_CONTRACT',
      'PROFORMA_INVOICE',
      'QUALITY_CERTIFICATE',
      'LC_OR_ADVANCE_ADVICE',
      'BOOKING_CONFIRMATION',
      'COMMERCIAL_INVOICE',
      'PACKING_LIST',
      'CERTIFICATE_OF_ORIGIN',
      'PHYTOSANITARY_CERTIFICATE',
    ] as const;
    const record = sampleExport({
      status: 'SHIPMENT_BOOKED',
      permit: { permitNumber: 'FXP-EXP-1-0A1B2C3D', status: 'ISSUED', issuedAt: '2026-01-01T00:00:00Z' },
      documents: have.map((type) => ({
        type,
        cid: 'QmX',
        sha256: SHA,
        sizeBytes: 1,
        mediaType: 'application/pdf',
        version: 1,
        uploadedBy: { mspId: 'M', userId: 'u', role: 'r' },
        uploadedAt: '2026-01-01T00:00:00Z',
        txId: 't',
      })),
    });
    const calls = stubFetch((c) =>
      c.url.includes('/actions/')
        ? { status: 200, body: { id: 'EXP-1', status: 'UNDER_INSPECTION', txId: 't' } }
        : undefined,
    );
    render(<ActionForm spec={ACTION_SPECS['clear-customs']} record={record} />);
    expect(screen.getByLabelText(/FX permit number/)).toHaveValue('FXP-EXP-1-0A1B2C3D');
    expect(screen.queryByLabelText(/salt/i)).toBeNull();
    await userEvent.type(screen.getByLabelText(/Declaration number/), 'DEC-9');
    await userEvent.selectOptions(screen.getByLabelText(/Risk lane/), 'YELLOW');
    await userEvent.type(screen.getByLabelText(/Declared value/), '81600');
    await userEvent.upload(
      screen.getByLabelText(/Export declaration/),
      new File(['dec'], 'dec.pdf', { type: 'application/pdf' }),
    );
    await userEvent.click(screen.getByRole('button', { name: 'Submit declaration' }));
    const x1 = await waitForXhr(1);
    await act(async () => {
      x1.respond(201, { type: 'EXPORT_DECLARATION', cid: 'QmDec', sha256: SHA, size: 3 });
      await Promise.resolve();
    });
    await screen.findByTestId('action-result-status');
    expect(calls.at(-1)?.url).toBe('/gw/customs/api/v1/exports/EXP-1/actions/start-inspection');
    expect(calls.at(-1)?.body).toMatchObject({ riskLane: 'YELLOW' });
    expect((calls.at(-1)?.body as { customsValue: unknown }).customsValue).toEqual({
      declaredValueUsd: 81600,
    });
  });

  it('prefills the declared value from the registered contract value, keeping what the officer typed', async () => {
    signIn('customs_officer', 'customs');
    stubFetch(() => undefined);
    const record = sampleExport({ status: 'SHIPMENT_BOOKED', reached: 'SHIPMENT_BOOKED' });
    const terms = { exportId: 'EXP-1', customsValue: { contractValueUsd: 81600 } };
    const { rerender } = render(<ActionForm spec={ACTION_SPECS['clear-customs']} record={record} />);
    expect(screen.getByLabelText(/Declared value/)).toHaveValue('');
    rerender(<ActionForm spec={ACTION_SPECS['clear-customs']} record={record} terms={terms} />);
    await waitFor(() => expect(screen.getByLabelText(/Declared value/)).toHaveValue('81600'));
    await userEvent.clear(screen.getByLabelText(/Declared value/));
    await userEvent.type(screen.getByLabelText(/Declared value/), '80000');
    rerender(
      <ActionForm
        spec={ACTION_SPECS['clear-customs']}
        record={record}
        terms={{ ...terms, customsValue: { contractValueUsd: 99 } }}
      />,
    );
    expect(screen.getByLabelText(/Declared value/)).toHaveValue('80000');
    expect(screen.queryByLabelText(/salt/i)).toBeNull();
  });
});

describe('ActionForm: exporter shipping documents', () => {
  beforeEach(() => {
    FakeXhr.reset();
    vi.stubGlobal('XMLHttpRequest', FakeXhr);
  });
  afterEach(() => vi.unstubAllGlobals());

  it.each([
    ['attaches them on upload (no action call needed)', true, 0],
    ['falls back to the attach-documents action when the gateway only stored them', false, 1],
  ])('%s', async (_label, attached, actionCalls) => {
    signIn('exporter', 'commercial-bank', { exporterId: 'EXPORTER-1' });
    const calls = stubFetch((c) =>
      c.url.includes('/actions/')
        ? { status: 200, body: { id: 'EXP-1', status: 'SUBMITTED', txId: 'tx-a' } }
        : undefined,
    );
    render(<ActionForm spec={ACTION_SPECS['attach-documents']} record={sampleExport()} />);
    await userEvent.upload(
      screen.getByLabelText('Commercial invoice'),
      new File(['ci'], 'ci.pdf', { type: 'application/pdf' }),
    );
    await userEvent.click(screen.getByRole('button', { name: 'Attach documents' }));
    const xhr = await waitForXhr(1);
    expect(xhr.url).toBe('/gw/commercial-bank/api/v1/exports/EXP-1/documents');
    const form = xhr.body as FormData;
    expect([form.get('type'), form.get('quantityKg'), form.get('grade')]).toEqual([
      'COMMERCIAL_INVOICE',
      '19200',
      'G2',
    ]);
    await act(async () => {
      xhr.respond(201, {
        type: 'COMMERCIAL_INVOICE',
        cid: 'QmCi',
        sha256: SHA,
        size: 2,
        attached,
        txId: attached ? 'tx-u' : null,
      });
      await Promise.resolve();
    });
    await screen.findByTestId('action-result-status');
    const posts = calls.filter((c) => c.url.includes('/actions/attach-documents'));
    expect(posts).toHaveLength(actionCalls);
    if (actionCalls > 0) {
      expect(posts[0]?.body).toEqual({
        documents: [{ type: 'COMMERCIAL_INVOICE', cid: 'QmCi', quantityKg: 19200, grade: 'G2' }],
      });
    }
  });
});
