#!/usr/bin/env node
/**
 * DEVELOPMENT AID ONLY — not the gateway and not part of any test verdict. An in-memory stand-in for the
 * six org gateways (gateways.md routes, one shared fake "ledger"), so the portal and its e2e script can be
 * exercised in a browser before the real gateways exist. Usage:
 *   node e2e/mock-gateway.mjs [basePort=3901]   → orgs on basePort..basePort+5, admin/admin-pass-1234 each
 */
/* global Buffer, structuredClone */
import { createHash, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

const ORGS = ['commercial-bank', 'national-bank', 'ecta', 'ecx', 'shipping-line', 'customs'];
const MSP = {
  'commercial-bank': 'CommercialBankMSP',
  'national-bank': 'NationalBankMSP',
  ecta: 'ECTAMSP',
  ecx: 'ECXMSP',
  'shipping-line': 'ShippingLineMSP',
  customs: 'CustomsMSP',
};
const base = Number(process.argv[2] ?? 3901);
const users = new Map(); // `${org}/${username}` → user
const tokens = new Map(); // token → {org, key, exp}
const exporters = new Map();
const prices = [];
const exports_ = new Map();
const history = new Map();
const files = new Map();
let block = 10;
for (const org of ORGS)
  users.set(`${org}/admin`, {
    id: `${org}-admin`,
    username: 'admin',
    password: 'admin-pass-1234',
    role: 'admin',
    org,
    status: 'ACTIVE',
  });

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const txid = () => createHash('sha256').update(randomUUID()).digest('hex');
const problem = (res, status, code, detail) =>
  send(
    res,
    status,
    { type: `about:blank#${code}`, title: code, status, code, detail },
    'application/problem+json',
  );
function send(res, status, body, type = 'application/json') {
  res.writeHead(status, { 'Content-Type': type });
  res.end(body === undefined ? '' : JSON.stringify(body));
}
async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks);
}
function issue(org, key) {
  const access = `acc-${randomUUID()}`;
  const refresh = `ref-${randomUUID()}`;
  tokens.set(access, { org, key, kind: 'access' });
  tokens.set(refresh, { org, key, kind: 'refresh' });
  const u = users.get(key);
  return { accessToken: access, refreshToken: refresh, expiresIn: 900, user: publicUser(u) };
}
const publicUser = (u) => ({
  id: u.id,
  username: u.username,
  role: u.role,
  org: u.org,
  mspId: MSP[u.org],
  status: u.status,
  exporterId: u.exporterId,
  displayName: u.displayName,
});

function multipart(buf, ctype) {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(ctype ?? '');
  const b = `--${boundary?.[1] ?? boundary?.[2]}`;
  const parts = {};
  let pos = buf.indexOf(b);
  while (pos >= 0) {
    const next = buf.indexOf(b, pos + b.length);
    if (next < 0) break;
    const part = buf.subarray(pos + b.length + 2, next - 2);
    const sep = part.indexOf('\r\n\r\n');
    const head = part.subarray(0, sep).toString();
    const body = part.subarray(sep + 4);
    const name = /name="([^"]+)"/.exec(head)?.[1];
    const ct = /Content-Type: (.+)/i.exec(head)?.[1]?.trim();
    if (name) parts[name] = { body, ct, filename: /filename="([^"]*)"/.exec(head)?.[1] };
    pos = next;
  }
  return parts;
}

async function storeUpload(req) {
  const parts = multipart(await readBody(req), req.headers['content-type']);
  const f = parts.file;
  if (!f || f.body.length === 0) return { error: 'a non-empty file part is required' };
  const type = parts.type?.body.toString();
  const sha = createHash('sha256').update(f.body).digest('hex');
  const cid = fakeCid(sha);
  const ct = f.ct ?? 'application/octet-stream';
  files.set(cid, { body: f.body, ct, sha, type });
  const quantityKg = parts.quantityKg ? Number(parts.quantityKg.body.toString()) : undefined;
  const grade = parts.grade?.body.toString();
  return {
    type,
    cid,
    quantityKg,
    grade,
    out: { type, cid, sha256: sha, size: f.body.length, mediaType: ct },
  };
}

function fakeCid(sha) {
  const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  let s = 'Qm';
  for (let i = 0; i < 44; i++) s += alphabet[parseInt(sha.slice(i % 60, (i % 60) + 2), 16) % alphabet.length];
  return s;
}

function commit(rec, action, actor, extra = {}) {
  const tx = txid();
  rec.updatedAt = now();
  rec.lastAction = { action, by: actor, at: rec.updatedAt, txId: tx, ...extra };
  rec.reached = MAIN_LINE[Math.max(MAIN_LINE.indexOf(rec.reached), MAIN_LINE.indexOf(rec.status), 0)];
  block += 1;
  const snapshot = structuredClone(rec);
  history
    .get(rec.exportId)
    .unshift({ txId: tx, timestamp: rec.updatedAt, blockNumber: block, isDelete: false, record: snapshot });
  return { id: rec.exportId, status: rec.status, txId: tx, blockNumber: block };
}
// Like the real gateway: step bodies reference uploaded files as {type, cid, quantityKg?, grade?} only.
function resolveRef(d) {
  const extra = Object.keys(d).filter((k) => !['type', 'cid', 'quantityKg', 'grade'].includes(k));
  if (extra.length)
    throw Object.assign(new Error(`unknown document keys ${extra.join(', ')}`), {
      code: 'VALIDATION_FAILED',
    });
  const f = files.get(d.cid);
  if (!f)
    throw Object.assign(new Error(`document ${d.cid} was not uploaded here`), {
      code: 'DOCUMENT_NOT_UPLOADED',
    });
  if (f.type !== d.type)
    throw Object.assign(new Error(`uploaded as ${f.type}`), { code: 'DOCUMENT_TYPE_MISMATCH' });
  return { ...d, sha256: f.sha, sizeBytes: f.body.length, mediaType: f.ct };
}
const docsOf = (docs, actor) =>
  (docs ?? []).map((d) => ({ ...resolveRef(d), uploadedBy: actor, uploadedAt: now(), txId: 'pending' }));
function append(rec, docs, actor) {
  for (const d of docsOf(docs, actor)) {
    const version = rec.documents.filter((x) => x.type === d.type).length + 1;
    rec.documents.push({ ...d, version });
  }
}

const TRANSITIONS = {
  'register-contract': [
    'ecta_officer',
    ['SUBMITTED'],
    (r, b) => {
      r.status = 'CONTRACT_REGISTERED';
      const p = prices.filter((x) => x.grade === r.contract.contractedGrade).at(-1);
      if (!p) return ['NO_MINIMUM_PRICE', 'no minimum price'];
      r.registration = {
        registrationNumber: b.registrationNumber,
        minimumPriceId: p.id,
        minimumUsdPerKg: p.usdPerKg,
        registeredAt: now(),
        shipBy: new Date(Date.now() + 90 * 864e5).toISOString(),
      };
    },
  ],
  'certify-quality': [
    'grader',
    ['CONTRACT_REGISTERED'],
    (r, b, a) => {
      r.status = 'QUALITY_CERTIFIED';
      const { documents, ...q } = b;
      r.quality = { ...q, certifiedAt: now() };
      append(r, documents, a);
    },
  ],
  'submit-fx': [
    'bank_officer',
    ['QUALITY_CERTIFIED'],
    (r, b, a) => {
      if (!b.fxApplication) return ['VALIDATION_FAILED', 'fxApplication required'];
      r.status = 'FX_SUBMITTED';
      r._private.fxApplication = b.fxApplication;
      r.fx = { applicationHash: txid(), submittedAt: now() };
      append(r, b.documents, a);
    },
  ],
  'approve-fx': [
    'fx_officer',
    ['FX_SUBMITTED'],
    (r) => {
      r.status = 'FX_APPROVED';
      r.fx.approvedAt = now();
      r.permit = {
        permitNumber: `FXP-${r.exportId}-${txid().slice(0, 8).toUpperCase()}`,
        status: 'ISSUED',
        issuedAt: now(),
      };
    },
  ],
  'book-shipment': [
    'shipping_agent',
    ['FX_APPROVED'],
    (r, b, a) => {
      r.status = 'SHIPMENT_BOOKED';
      const { documents, ...k } = b;
      r.booking = { ...k, bookedAt: now() };
      append(r, documents, a);
    },
  ],
  'complete-inspection': [
    'customs_officer',
    ['UNDER_INSPECTION'],
    (r, b) => {
      r.status = 'CUSTOMS_CLEARED';
      r.customs.inspectionFindings = b.findings;
      r.customs.clearedAt = now();
      r.permit.status = 'CONSUMED';
    },
  ],
  'clear-customs': [
    'customs_officer',
    ['SHIPMENT_BOOKED'],
    (r, b, a) => {
      if (b.customsValue?.declaredValueUsd !== r._private.terms?.contractValueUsd)
        return ['DECLARATION_INCONSISTENT', 'declared value does not match the registered contract value'];
      if (b.permitNumber !== r.permit?.permitNumber) return ['PERMIT_MISMATCH', 'wrong permit'];
      append(r, b.documents, a);
      const missing = [
        'SALES_CONTRACT',
        'PROFORMA_INVOICE',
        'QUALITY_CERTIFICATE',
        'LC_OR_ADVANCE_ADVICE',
        'BOOKING_CONFIRMATION',
        'EXPORT_DECLARATION',
        'COMMERCIAL_INVOICE',
        'PACKING_LIST',
        'CERTIFICATE_OF_ORIGIN',
        'PHYTOSANITARY_CERTIFICATE',
      ].filter((t) => !r.documents.some((d) => d.type === t));
      if (missing.length) return ['DOCUMENTS_MISSING', missing.join(', ')];
      r.customs = {
        declarationNumber: b.declarationNumber,
        declaredQuantityKg: b.declaredQuantityKg,
        declaredGrade: b.declaredGrade,
        riskLane: b.riskLane,
        valueVerified: true,
        declaredAt: now(),
        clearedAt: now(),
      };
      r.status = 'CUSTOMS_CLEARED';
      r.permit.status = 'CONSUMED';
    },
  ],
  'start-inspection': [
    'customs_officer',
    ['SHIPMENT_BOOKED'],
    (r, b, a) => {
      append(r, b.documents, a);
      r.customs = {
        declarationNumber: b.declarationNumber,
        declaredQuantityKg: b.declaredQuantityKg,
        declaredGrade: b.declaredGrade,
        riskLane: b.riskLane,
        valueVerified: true,
        declaredAt: now(),
      };
      r.status = 'UNDER_INSPECTION';
    },
  ],
  ship: [
    'shipping_agent',
    ['CUSTOMS_CLEARED'],
    (r, b, a) => {
      r.status = 'SHIPPED';
      r.shipment = {
        billOfLadingNumber: b.billOfLadingNumber,
        onBoardDate: b.onBoardDate,
        shippedAt: now(),
        repatriationDueAt: new Date(Date.now() + 90 * 864e5).toISOString(),
      };
      append(r, b.documents, a);
    },
  ],
  'add-tracking-event': [
    'shipping_agent',
    ['SHIPPED'],
    (r, b, a) => {
      r.tracking.push({
        location: b.location,
        status: b.status,
        eventTime: b.eventTime,
        recordedAt: now(),
        recordedBy: a.userId,
      });
    },
  ],
  'confirm-payment': [
    'bank_officer',
    ['SHIPPED'],
    (r, b, a) => {
      r.status = 'PAYMENT_RECEIVED';
      r.payment = { paymentReference: b.paymentReference, proceedsHash: txid(), receivedAt: now() };
      r._private.proceeds = { amountUsd: b.paymentProceeds?.amountUsd, paymentReference: b.paymentReference };
      append(r, b.documents, a);
    },
  ],
  'confirm-repatriation': [
    'fx_officer',
    ['PAYMENT_RECEIVED'],
    (r) => {
      r.status = 'COMPLETED';
      r.completedAt = now();
    },
  ],
  'request-amendment': [
    null,
    ['SUBMITTED', 'CONTRACT_REGISTERED', 'FX_SUBMITTED', 'SHIPMENT_BOOKED', 'UNDER_INSPECTION'],
    (r, b, a) => {
      const back = r.status === 'UNDER_INSPECTION' ? 'SHIPMENT_BOOKED' : r.status;
      r.amendment = {
        returnTo: back,
        step: { SUBMITTED: 2, CONTRACT_REGISTERED: 3, FX_SUBMITTED: 5, SHIPMENT_BOOKED: 7 }[back],
        reasonCode: b.reasonCode,
        reason: b.reason,
        requestedBy: a,
        requestedAt: now(),
      };
      r.status = 'AMENDMENT_REQUESTED';
    },
  ],
  amend: [
    null,
    ['AMENDMENT_REQUESTED'],
    (r, b, a) => {
      append(r, b.documents, a);
      if (b.tradeTerms) r._private.terms = b.tradeTerms;
      if (b.fxApplication) r._private.fxApplication = b.fxApplication;
      r.status = r.amendment.returnTo;
      delete r.amendment;
      r.amendmentCount += 1;
    },
  ],
  'attach-documents': [
    'exporter',
    [
      'SUBMITTED',
      'CONTRACT_REGISTERED',
      'QUALITY_CERTIFIED',
      'FX_SUBMITTED',
      'FX_APPROVED',
      'SHIPMENT_BOOKED',
      'UNDER_INSPECTION',
      'CUSTOMS_CLEARED',
      'AMENDMENT_REQUESTED',
    ],
    (r, b, a) => append(r, b.documents, a),
  ],
  reject: [
    null,
    ['SUBMITTED', 'CONTRACT_REGISTERED', 'FX_SUBMITTED', 'SHIPMENT_BOOKED', 'UNDER_INSPECTION'],
    (r, b, a) => {
      r.status = 'REJECTED';
      r.closure = { reasonCode: b.reasonCode, reason: b.reason, by: a, at: now() };
    },
  ],
  cancel: [
    null,
    [
      'SUBMITTED',
      'CONTRACT_REGISTERED',
      'QUALITY_CERTIFIED',
      'FX_SUBMITTED',
      'FX_APPROVED',
      'SHIPMENT_BOOKED',
      'UNDER_INSPECTION',
      'CUSTOMS_CLEARED',
      'AMENDMENT_REQUESTED',
    ],
    (r, b, a) => {
      r.status = 'CANCELLED';
      r.closure = { reason: b.reason, by: a, at: now() };
    },
  ],
  'mark-defaulted': [null, [], () => ['DEADLINE_NOT_PASSED', 'not yet']],
};

const MAIN_LINE = [
  'DRAFT',
  'SUBMITTED',
  'CONTRACT_REGISTERED',
  'QUALITY_CERTIFIED',
  'FX_SUBMITTED',
  'FX_APPROVED',
  'SHIPMENT_BOOKED',
  'UNDER_INSPECTION',
  'CUSTOMS_CLEARED',
  'SHIPPED',
  'PAYMENT_RECEIVED',
  'COMPLETED',
];

/** The record as returned (private data and the mock's bookkeeping removed; `reached` as policy.ts). */
function summary(r) {
  const rest = { ...r };
  delete rest._private;
  return rest;
}

/** Private groups by org (policy.ts PRIVATE_AUDIENCE); the real gateway also checks visibility. */
function tradeTermsFor(org, r) {
  const p = r._private;
  const out = { exportId: r.exportId };
  if (['commercial-bank', 'national-bank', 'ecta'].includes(org)) {
    if (p.terms) out.terms = p.terms;
    if (p.fxApplication) out.fxApplication = p.fxApplication;
    if (p.proceeds) out.proceeds = p.proceeds;
  }
  if (p.terms && ['commercial-bank', 'national-bank', 'ecta', 'customs'].includes(org))
    out.customsValue = { contractValueUsd: p.terms.contractValueUsd };
  return out;
}

async function handle(org, req, res) {
  const url = new URL(req.url, 'http://x');
  const p = url.pathname.replace(/^\/api\/v1/, '');
  const m = req.method;
  const json = async () => {
    const b = await readBody(req);
    return b.length ? JSON.parse(b.toString()) : {};
  };
  if (m === 'POST' && p === '/auth/login') {
    const b = await json();
    const u = users.get(`${org}/${b.username}`);
    if (!u || u.password !== b.password)
      return problem(res, 401, 'INVALID_CREDENTIALS', 'wrong username or password');
    if (u.status === 'SUSPENDED') return problem(res, 403, 'USER_SUSPENDED', 'suspended');
    return send(res, 200, issue(org, `${org}/${b.username}`));
  }
  if (m === 'POST' && p === '/auth/refresh') {
    const b = await json();
    const t = tokens.get(b.refreshToken);
    if (!t || t.kind !== 'refresh' || t.org !== org)
      return problem(res, 401, 'INVALID_REFRESH_TOKEN', 'refresh refused');
    tokens.delete(b.refreshToken);
    return send(res, 200, issue(org, t.key));
  }
  if (p.startsWith('/verify/')) {
    const r = exports_.get(decodeURIComponent(p.slice(8)));
    if (!r) return problem(res, 404, 'EXPORT_NOT_FOUND', 'no such export');
    return send(res, 200, {
      exportId: r.exportId,
      status: r.status,
      steps: [...history.get(r.exportId)]
        .reverse()
        .map((h) => ({ status: h.record.status, at: h.timestamp })),
      documents: r.documents.map((d) => ({
        type: d.type,
        version: d.version,
        sha256: d.sha256,
        sizeBytes: d.sizeBytes,
        mediaType: d.mediaType,
        uploadedAt: d.uploadedAt,
      })),
      verifiedAt: new Date().toISOString(),
    });
  }
  const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  const t = auth && tokens.get(auth);
  if (!t || t.kind !== 'access' || t.org !== org)
    return problem(res, 401, 'UNAUTHORIZED', 'missing or foreign token');
  const me = users.get(t.key);
  const actor = { mspId: MSP[org], userId: me.username, role: me.role };
  if (m === 'POST' && p === '/auth/logout') {
    tokens.delete(auth);
    return send(res, 204);
  }
  if (m === 'GET' && p === '/auth/me') return send(res, 200, publicUser(me));
  if (p === '/users') {
    if (me.role !== 'admin') return problem(res, 403, 'FORBIDDEN_ROLE', 'admins only');
    if (m === 'GET')
      return send(res, 200, { items: [...users.values()].filter((u) => u.org === org).map(publicUser) });
    const b = await json();
    if (users.has(`${org}/${b.username}`)) return problem(res, 409, 'USER_EXISTS', 'exists');
    const u = { id: `${org}-${b.username}`, ...b, org, status: 'ACTIVE' };
    users.set(`${org}/${b.username}`, u);
    return send(res, 201, publicUser(u));
  }
  if (m === 'PATCH' && p.startsWith('/users/')) {
    const u = [...users.values()].find((x) => x.id === decodeURIComponent(p.slice(7)));
    if (!u) return problem(res, 404, 'USER_NOT_FOUND', 'no user');
    Object.assign(u, await json());
    return send(res, 200, publicUser(u));
  }
  if (p === '/exporters') {
    if (m === 'GET') return send(res, 200, { items: [...exporters.values()] });
    const b = await json();
    const e = { ...b, status: 'ACTIVE', warnings: 0, delinquent: false };
    exporters.set(b.exporterId, e);
    return send(res, 201, e);
  }
  if (m === 'PATCH' && p.startsWith('/exporters/')) {
    const e = exporters.get(decodeURIComponent(p.slice(11)));
    Object.assign(e, await json());
    return send(res, 200, e);
  }
  if (p === '/minimum-prices') {
    if (m === 'GET') return send(res, 200, { records: prices });
    const b = await json();
    const row = {
      id: `MP-${String(prices.length + 1).padStart(6, '0')}`,
      ...b,
      publishedAt: now(),
      publishedBy: me.username,
      txId: txid(),
    };
    prices.push(row);
    return send(res, 201, { record: row, txId: row.txId, blockNumber: String(++block) });
  }
  if (m === 'GET' && p === '/exports') {
    let rows = [...exports_.values()];
    const st = url.searchParams.get('status');
    const ex = url.searchParams.get('exporterId');
    if (st) rows = rows.filter((r) => r.status === st);
    if (ex) rows = rows.filter((r) => r.exporterId === ex);
    return send(res, 200, {
      items: rows.map((r) => ({
        id: r.exportId,
        exporterId: r.exporterId,
        status: r.status,
        contract: r.contract,
        permitNumber: r.permit?.permitNumber ?? null,
        createdAt: r.createdAt,
        updatedAt: r.updatedAt,
        lastAction: r.lastAction.action,
        lastTxId: r.lastAction.txId,
        lastBlock: String(block),
      })),
      nextCursor: null,
    });
  }
  if (m === 'POST' && p === '/exports') {
    const b = await json();
    if (me.role !== 'exporter') return problem(res, 403, 'FORBIDDEN_ROLE', 'exporters only');
    const extra = Object.keys(b).filter(
      (k) => !['exportId', 'contract', 'documents', 'tradeTerms', 'details'].includes(k),
    );
    if (extra.length) return problem(res, 400, 'VALIDATION_FAILED', `unknown keys ${extra.join(', ')}`);
    const r = {
      exportId: b.exportId,
      exporterId: me.exporterId,
      status: 'SUBMITTED',
      contract: b.contract,
      termsHash: txid(),
      valueCommitmentHash: txid(),
      documents: [],
      tracking: [],
      amendmentCount: 0,
      createdAt: now(),
      createdBy: actor,
      _private: { terms: b.tradeTerms },
    };
    try {
      append(r, b.documents, actor);
    } catch (e) {
      return problem(res, 422, e.code, e.message);
    }
    exports_.set(r.exportId, r);
    history.set(r.exportId, []);
    const out = commit(r, 'SubmitExport', actor);
    return send(res, 201, { id: out.id, status: out.status, txId: out.txId });
  }
  const one = /^\/exports\/([^/]+)(\/.*)?$/.exec(p);
  if (one) {
    const id = decodeURIComponent(one[1]);
    const rest = one[2] ?? '';
    const r = exports_.get(id);
    if (!r) return problem(res, 404, 'EXPORT_NOT_FOUND', `no export ${id}`);
    if (m === 'POST' && rest === '/documents') {
      const up = await storeUpload(req);
      if (up.error) return problem(res, 400, 'VALIDATION_FAILED', up.error);
      const SELF = [
        'COMMERCIAL_INVOICE',
        'PACKING_LIST',
        'CERTIFICATE_OF_ORIGIN',
        'PHYTOSANITARY_CERTIFICATE',
      ];
      if (me.role === 'exporter' && SELF.includes(up.type)) {
        const ref = { type: up.type, cid: up.cid };
        if (up.quantityKg) ref.quantityKg = up.quantityKg;
        if (up.grade) ref.grade = up.grade;
        append(r, [ref], actor);
        const out = commit(r, 'AttachDocuments', actor);
        const version = r.documents.filter((d) => d.type === up.type).length;
        return send(res, 201, { ...up.out, version, txId: out.txId, attached: true });
      }
      return send(res, 201, { ...up.out, version: null, txId: null, attached: false });
    }
    if (m === 'GET' && rest === '') return send(res, 200, summary(r));
    if (m === 'GET' && rest === '/trade-terms') return send(res, 200, tradeTermsFor(org, r));
    if (m === 'GET' && rest === '/history')
      return send(res, 200, {
        exportId: id,
        entries: history
          .get(id)
          .map((h) => ({ txId: h.txId, timestamp: h.timestamp, isDelete: false, record: summary(h.record) })),
      });
    const act = /^\/actions\/([a-z-]+)$/.exec(rest)?.[1];
    if (m === 'POST' && act) {
      const def = TRANSITIONS[act];
      if (!def) return problem(res, 404, 'UNKNOWN_ACTION', act);
      const [role, from, fn] = def;
      if (role && role !== me.role) return problem(res, 403, 'FORBIDDEN_ROLE', `${act} needs ${role}`);
      if (!from.includes(r.status))
        return problem(res, 409, 'INVALID_TRANSITION', `${act} not allowed while ${r.status}`);
      const b = await json();
      const before = structuredClone(r);
      let err;
      try {
        err = fn(r, b, actor);
      } catch (e) {
        err = [e.code ?? 'VALIDATION_FAILED', e.message];
      }
      if (err) {
        Object.assign(r, before);
        return problem(res, 409, err[0], err[1]);
      }
      return send(
        res,
        200,
        commit(
          r,
          act.replace(/(^|-)([a-z])/g, (_x, _d, c) => c.toUpperCase()),
          actor,
          b.reasonCode ? { reasonCode: b.reasonCode, reason: b.reason } : {},
        ),
      );
    }
  }
  if (m === 'POST' && p === '/documents') {
    const up = await storeUpload(req);
    if (up.error) return problem(res, 400, 'VALIDATION_FAILED', up.error);
    return send(res, 201, { ...up.out, version: null, txId: null, attached: false });
  }
  if (m === 'GET' && p.startsWith('/documents/')) {
    const f = files.get(decodeURIComponent(p.slice(11)));
    if (!f) return problem(res, 404, 'DOCUMENT_NOT_FOUND', 'no such document');
    res.writeHead(200, { 'Content-Type': f.ct });
    return res.end(f.body);
  }
  return problem(res, 404, 'NOT_FOUND', `${m} ${p}`);
}

ORGS.forEach((org, i) => {
  createServer((req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, Idempotency-Key');
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PATCH, OPTIONS');
    if (req.method === 'OPTIONS') return send(res, 204);
    handle(org, req, res).catch((e) => problem(res, 500, 'MOCK_ERROR', String(e)));
  }).listen(base + i, '127.0.0.1', () => console.log(`mock ${org} on ${base + i}`));
});
