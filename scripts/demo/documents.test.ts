import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DOCUMENT_TYPES } from '@coffee/consortium';
import { checkUploadMediaType } from '../../gateways/src/ipfs/sniff.ts';
import { documentContent, renderPdf, wrap, type DocumentFacts } from './documents.ts';
import { contractValueUsd, DEMO_EXPORTERS, DEMO_EXPORTS, referencesOf } from './plan.ts';

const x = DEMO_EXPORTS[0]!;
const FACTS: DocumentFacts = {
  exportId: x.exportId,
  exporter: DEMO_EXPORTERS[0]!,
  contract: x.contract,
  unitPriceUsdPerKg: x.unitPriceUsdPerKg,
  contractValueUsd: contractValueUsd(x),
  paymentMethod: 'LC',
  references: { ...referencesOf(x), permitNumber: 'FXP-1', onBoardDate: '2026-03-01' },
  startedAt: new Date('2026-03-01T08:00:00Z'),
};

/** Checks the structure a PDF reader relies on: header, objects at the xref offsets, stream lengths, trailer. */
function assertWellFormed(pdf: Buffer): void {
  const text = pdf.toString('latin1');
  assert.ok(text.startsWith('%PDF-1.4\n'));
  assert.ok(text.endsWith('%%EOF\n'));
  const startxref = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(text)?.[1]);
  assert.equal(text.slice(startxref, startxref + 5), 'xref\n');
  const offsets = [...text.matchAll(/^(\d{10}) 00000 n $/gm)].map((m) => Number(m[1]));
  assert.ok(offsets.length >= 6);
  for (const [i, o] of offsets.entries())
    assert.ok(text.startsWith(`${i + 1} 0 obj\n`, o), `object ${i + 1}`);
  for (const m of text.matchAll(/\/Length (\d+) >>\nstream\n/g)) {
    const end = m.index + m[0].length + Number(m[1]);
    assert.equal(text.slice(end, end + 10), '\nendstream', 'stream length');
  }
}

describe('demo documents', () => {
  for (const type of DOCUMENT_TYPES) {
    it(`${type}: a well-formed one-page PDF the gateways accept, with the export's facts`, () => {
      const content = documentContent(type, FACTS);
      const pdf = renderPdf(content);
      assertWellFormed(pdf);
      assert.ok(pdf.length < 8 * 1024, 'small');
      assert.equal(checkUploadMediaType(pdf, 'application/pdf', ['application/pdf']), 'application/pdf');
      assert.ok(content.fields.length >= 4, 'meaningful content');
      assert.ok(pdf.toString('latin1').includes(`(${content.title})`), 'the title is on the page');
      assert.deepEqual(renderPdf(documentContent(type, FACTS)), pdf, 'deterministic');
    });
  }

  it('states the contract on the sales contract, and a revision as such', () => {
    const text = renderPdf(documentContent('SALES_CONTRACT', FACTS)).toString('latin1');
    for (const fact of [
      'SC-DEMO-01',
      'Hudson Valley Roasters LLC',
      'USD 150,720.00',
      '19,200 kg',
      'Yirgacheffe',
    ]) {
      assert.ok(text.includes(fact), fact);
    }
    const revised = documentContent('LC_OR_ADVANCE_ADVICE', { ...FACTS, revision: 'amendment 1' });
    assert.equal(revised.title, 'Letter of Credit Advice (amendment 1)');
  });

  it('escapes PDF string delimiters and replaces what Helvetica cannot show', () => {
    const pdf = renderPdf({
      title: 'A (b) \\ c',
      issuer: 'Café Ⅻ',
      fields: [['x', 'y']],
      createdAt: new Date(0),
    }).toString('latin1');
    assert.ok(pdf.includes('(A \\(b\\) \\\\ c)'));
    assert.ok(pdf.includes('(Cafe XII)') || pdf.includes('(Cafe ?)'), 'accents dropped, the rest replaced');
    assertWellFormed(Buffer.from(pdf, 'latin1'));
  });

  it('wraps long values on spaces', () => {
    assert.deepEqual(wrap('aaa bbb ccc ddd', 7), ['aaa bbb', 'ccc ddd']);
    assert.deepEqual(wrap('', 10), []);
  });
});
