/**
 * The demo's documents: small but valid one-page PDFs (PDF 1.4, Helvetica, a correct cross-reference table)
 * whose text says what the document is — a sales contract, a quality certificate, a bill of lading — with the
 * export's own numbers. Deterministic: the same inputs give the same bytes, so a resumed seeding re-sends the
 * very upload it sent before (and the gateway replays its answer for the same Idempotency-Key).
 */
import type { DocumentType } from '@coffee/consortium';
import type { DemoContract } from './plan.ts';

export interface PdfContent {
  readonly title: string;
  /** Label / value rows under the title. */
  readonly fields: readonly (readonly [string, string])[];
  /** Free text after the fields (one paragraph per entry). */
  readonly notes?: readonly string[];
  /** Issuer shown in the header and the document information dictionary. */
  readonly issuer: string;
  /** Creation time (document information dictionary). */
  readonly createdAt: Date;
}

/** PDF string literal: printable ASCII only, with \ ( ) escaped (Helvetica's standard encoding covers it). */
function pdfString(text: string): string {
  const ascii = text.normalize('NFKD').replace(/[^\x20-\x7e]/g, (c) => (/\p{M}/u.test(c) ? '' : '?'));
  return `(${ascii.replace(/[\\()]/g, (c) => `\\${c}`)})`;
}

function pdfDate(d: Date): string {
  const iso = d.toISOString();
  return `D:${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}

/** Breaks a paragraph into lines of at most `width` characters (on spaces). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** The page's content stream: header, title, rule, the fields in two columns, then the notes. */
function contentStream(c: PdfContent): string {
  const ops: string[] = [];
  const text = (font: 'F1' | 'F2', size: number, x: number, y: number, s: string): void => {
    ops.push(`BT /${font} ${size} Tf ${x} ${y} Td ${pdfString(s)} Tj ET`);
  };
  text('F2', 9, 56, 800, c.issuer);
  text('F1', 18, 56, 770, c.title);
  ops.push('0.6 w 56 758 m 539 758 l S');
  let y = 735;
  for (const [label, value] of c.fields) {
    const valueLines = wrap(value, 60);
    text('F1', 10, 56, y, label);
    for (const [i, v] of valueLines.entries()) text('F2', 10, 220, y - i * 13, v);
    y -= 13 * Math.max(1, valueLines.length) + 5;
  }
  y -= 10;
  for (const note of c.notes ?? []) {
    for (const line of wrap(note, 95)) {
      text('F2', 9, 56, y, line);
      y -= 12;
    }
    y -= 6;
  }
  text('F2', 8, 56, 40, 'Demo document generated for the coffee export consortium (development mode).');
  return ops.join('\n');
}

/** A one-page PDF of `content`. */
export function renderPdf(content: PdfContent): Buffer {
  const stream = contentStream(content);
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
    `<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}\nendstream`,
    `<< /Title ${pdfString(content.title)} /Author ${pdfString(content.issuer)} /Producer (coffee-export demo seeding) /CreationDate ${pdfString(pdfDate(content.createdAt))} >>`,
  ];
  const header = Buffer.concat([
    Buffer.from('%PDF-1.4\n%'),
    Buffer.from([0xe2, 0xe3, 0xcf, 0xd3]),
    Buffer.from('\n'),
  ]);
  const parts: Buffer[] = [header];
  const offsets: number[] = [];
  let length = header.length;
  for (const [i, body] of objects.entries()) {
    offsets.push(length);
    const obj = Buffer.from(`${i + 1} 0 obj\n${body}\nendobj\n`, 'latin1');
    parts.push(obj);
    length += obj.length;
  }
  const xref = [
    'xref',
    `0 ${objects.length + 1}`,
    '0000000000 65535 f ',
    ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n `),
    'trailer',
    `<< /Size ${objects.length + 1} /Root 1 0 R /Info ${objects.length} 0 R >>`,
    'startxref',
    String(length),
    '%%EOF',
    '',
  ].join('\n');
  parts.push(Buffer.from(xref, 'latin1'));
  return Buffer.concat(parts);
}

/** What the seeding knows when it generates one document of an export. */
export interface DocumentFacts {
  readonly exportId: string;
  readonly exporter: { readonly legalName: string; readonly tin: string; readonly licenceNumber: string };
  readonly contract: DemoContract;
  readonly unitPriceUsdPerKg: number;
  readonly contractValueUsd: number;
  readonly paymentMethod: string;
  /** References the step uses (LC number, booking number, …), shown on the matching document. */
  readonly references: Readonly<Record<string, string>>;
  /** Seeding's start: every date on a document derives from it. */
  readonly startedAt: Date;
  /** Version label for a corrected re-issue (amendments). */
  readonly revision?: string;
}

const usd = (n: number): string =>
  `USD ${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const kg = (n: number): string => `${n.toLocaleString('en-US')} kg (${n / 60} bags of 60 kg)`;
const day = (d: Date, offsetDays = 0): string =>
  new Date(d.getTime() + offsetDays * 86_400_000).toISOString().slice(0, 10);

/** The text of one document of an export: who issues it and what it states. */
export function documentContent(type: DocumentType, f: DocumentFacts): PdfContent {
  const c = f.contract;
  const ref = (key: string): string => f.references[key] ?? '-';
  const region = c.originRegion
    .replace(/_/g, ' ')
    .toLowerCase()
    .replace(/\b[a-z]/g, (l) => l.toUpperCase());
  const coffee = `Ethiopian washed Arabica, grade ${c.contractedGrade}, ${region}`;
  const base = { createdAt: f.startedAt };
  const revised = (title: string): string => (f.revision ? `${title} (${f.revision})` : title);
  const seller = `${f.exporter.legalName}, Addis Ababa (TIN ${f.exporter.tin})`;
  switch (type) {
    case 'SALES_CONTRACT':
      return {
        ...base,
        issuer: f.exporter.legalName,
        title: revised('Sales Contract'),
        fields: [
          ['Contract number', c.contractNumber],
          ['Seller', seller],
          ['Buyer', `${c.buyerName} (${c.destinationCountry})`],
          ['Goods', coffee],
          ['Quantity', kg(c.quantityKg)],
          ['Unit price', `USD ${f.unitPriceUsdPerKg.toFixed(2)} per kg, ${c.incoterm} Djibouti`],
          ['Contract value', usd(f.contractValueUsd)],
          [
            'Payment',
            f.paymentMethod === 'LC' ? 'Irrevocable documentary letter of credit' : f.paymentMethod,
          ],
          ['Shipment', 'Within 90 days of ECTA contract registration'],
          ['Date', day(f.startedAt)],
        ],
        notes: [
          'Quality as per ECX grading certificate. Arbitration: Ethiopian Arbitration and Conciliation Center.',
          f.revision
            ? 'This revision carries the signature page countersigned by the buyer.'
            : 'Signed for the seller; buyer countersignature attached.',
        ],
      };
    case 'PROFORMA_INVOICE':
      return {
        ...base,
        issuer: f.exporter.legalName,
        title: 'Proforma Invoice',
        fields: [
          ['Proforma number', `PI-${c.contractNumber}`],
          ['Seller', seller],
          ['Buyer', c.buyerName],
          ['Goods', coffee],
          ['Quantity', kg(c.quantityKg)],
          ['Amount', usd(f.contractValueUsd)],
          ['Terms', `${c.incoterm} Djibouti, ${f.paymentMethod}`],
        ],
      };
    case 'QUALITY_CERTIFICATE':
      return {
        ...base,
        issuer: 'Ethiopia Commodity Exchange (ECX), Quality Operations',
        title: 'Coffee Quality Certificate',
        fields: [
          ['Certificate for export', f.exportId],
          ['Lot number', ref('lotNumber')],
          ['Warehouse receipt', ref('warehouseReceiptNumber')],
          ['Origin', region],
          ['Certified grade', c.contractedGrade],
          ['Cup score', ref('cupScore')],
          ['Moisture', `${ref('moisturePercent')} %`],
          ['Defects', `${ref('defectsPer300g')} per 300 g`],
          ['Certified quantity', kg(c.quantityKg)],
        ],
        notes: ['Graded and cupped at the ECX Addis Ababa liquoring centre.'],
      };
    case 'LC_OR_ADVANCE_ADVICE':
      return {
        ...base,
        issuer: 'Commercial Bank, Trade Finance Department',
        title: revised('Letter of Credit Advice'),
        fields: [
          ['LC number', ref('evidenceReference')],
          ['Beneficiary', seller],
          ['Applicant', c.buyerName],
          ['Amount', usd(Number(ref('amountUsd')))],
          ['Contract', c.contractNumber],
          ['Expiry', day(f.startedAt, 120)],
        ],
        notes: ['Irrevocable, confirmed, available by payment at sight against documents.'],
      };
    case 'BOOKING_CONFIRMATION':
      return {
        ...base,
        issuer: 'Shipping Line, Booking Office Djibouti',
        title: 'Booking Confirmation',
        fields: [
          ['Booking number', ref('bookingNumber')],
          ['Shipper', f.exporter.legalName],
          ['Vessel / voyage', `${ref('vesselName')} / ${ref('voyageNumber')}`],
          ['Containers', ref('containerNumbers')],
          ['Port of loading', ref('portOfLoading')],
          ['Port of discharge', ref('portOfDischarge')],
          ['ETD', ref('etd')],
        ],
      };
    case 'EXPORT_DECLARATION':
      return {
        ...base,
        issuer: 'Customs Commission, Export Declarations',
        title: 'Export Declaration',
        fields: [
          ['Declaration number', ref('declarationNumber')],
          ['Exporter', seller],
          ['FX permit', ref('permitNumber')],
          ['Goods', coffee],
          ['Declared quantity', kg(c.quantityKg)],
          ['Declared value', usd(f.contractValueUsd)],
          ['Risk lane', ref('riskLane')],
        ],
      };
    case 'COMMERCIAL_INVOICE':
      return {
        ...base,
        issuer: f.exporter.legalName,
        title: 'Commercial Invoice',
        fields: [
          ['Invoice number', `CI-${c.contractNumber}`],
          ['Buyer', c.buyerName],
          ['Goods', coffee],
          ['Quantity', kg(c.quantityKg)],
          ['Unit price', `USD ${f.unitPriceUsdPerKg.toFixed(2)} per kg`],
          ['Total', usd(f.contractValueUsd)],
        ],
      };
    case 'PACKING_LIST':
      return {
        ...base,
        issuer: f.exporter.legalName,
        title: 'Packing List',
        fields: [
          ['Contract', c.contractNumber],
          ['Packages', `${c.quantityKg / 60} jute bags with GrainPro liners`],
          ['Net weight', kg(c.quantityKg)],
          ['Gross weight', `${(c.quantityKg * 1.012).toFixed(0)} kg`],
          ['Marks', `${c.originRegion} ${c.contractedGrade} / ${c.contractNumber}`],
        ],
      };
    case 'CERTIFICATE_OF_ORIGIN':
      return {
        ...base,
        issuer: 'Ethiopian Chamber of Commerce and Sectoral Associations',
        title: 'Certificate of Origin',
        fields: [
          ['Exporter', seller],
          ['Consignee', `${c.buyerName} (${c.destinationCountry})`],
          ['Goods', coffee],
          ['Country of origin', 'Ethiopia'],
          ['Quantity', kg(c.quantityKg)],
        ],
      };
    case 'PHYTOSANITARY_CERTIFICATE':
      return {
        ...base,
        issuer: 'Ministry of Agriculture, Plant Health Directorate',
        title: 'Phytosanitary Certificate',
        fields: [
          ['Exporter', f.exporter.legalName],
          ['Consignee', c.buyerName],
          ['Produce', 'Green coffee beans (Coffea arabica)'],
          ['Quantity', kg(c.quantityKg)],
          ['Treatment', 'None required; inspected and found free of quarantine pests'],
        ],
      };
    case 'BILL_OF_LADING':
      return {
        ...base,
        issuer: 'Shipping Line, Djibouti Agency',
        title: 'Bill of Lading',
        fields: [
          ['B/L number', ref('billOfLadingNumber')],
          ['Shipper', f.exporter.legalName],
          ['Consignee', 'To order of the issuing bank'],
          ['Notify', c.buyerName],
          ['Vessel', ref('vesselName')],
          ['Port of loading', 'Djibouti (DJJIB)'],
          ['Shipped on board', ref('onBoardDate')],
          ['Description', `${c.quantityKg / 60} bags ${coffee}`],
        ],
        notes: ['Clean on board. Freight payable as per charter party.'],
      };
    case 'PAYMENT_ADVICE':
      return {
        ...base,
        issuer: 'Commercial Bank, Foreign Exchange Operations',
        title: 'Inward Payment Advice',
        fields: [
          ['Reference', ref('paymentReference')],
          ['Remitter', c.buyerName],
          ['Beneficiary', f.exporter.legalName],
          ['Amount received', usd(f.contractValueUsd)],
          ['Export', f.exportId],
        ],
        notes: ['Proceeds credited to the exporter account; surrender as per NBE directive.'],
      };
  }
}
