/** Every /api/v1 route of gateways.md: access rules, schemas, and the service each one calls. */
import type { RequestHandler } from 'express';
import { WORKFLOW_ROLES } from '@coffee/consortium';
import { z } from 'zod';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import type { AuthService } from '../services/auth.ts';
import type { ExportService } from '../services/exports.ts';
import type { RegistryService } from '../services/registries.ts';
import type { UserService } from '../services/users.ts';
import type { MfaService } from '../services/mfa.ts';
import type { EudrService } from '../services/eudr.ts';
import { mfaRoutes } from './mfa.ts';
import { eudrRoutes } from './eudr.ts';
import { route, type RouteDef } from './http.ts';
import * as S from './schemas.ts';
import { newExportId } from '../services/idempotency.ts';

export interface Services {
  auth: AuthService;
  users: UserService;
  exports: ExportService;
  registries: RegistryService;
  mfa: MfaService;
  /** EUDR due diligence (routes/eudr.ts); optional so stub service sets in tests need not carry it. */
  eudr?: EudrService;
}

const ANY_USER = { kind: 'user' } as const;
const IDEMPOTENCY_HEADER = {
  name: 'Idempotency-Key',
  description:
    'a retry with the same key (8-128 of A-Z a-z 0-9 . _ : -) has exactly one effect: the first answer is replayed, an unfinished first attempt is resolved from the ledger',
};

function fileOf(req: { file?: Express.Multer.File }): {
  bytes: Buffer;
  mediaType: string;
  fileName?: string;
} {
  if (!req.file) throw new AppError(400, 'VALIDATION_FAILED', 'a file part named "file" is required');
  return { bytes: req.file.buffer, mediaType: req.file.mimetype, fileName: req.file.originalname };
}

export function apiRoutes(
  // Uploads are read by mount() (routes/bodies.ts) after authentication, with the configured limits.
  _config: Config,
  s: Services,
  loginLimiter: RequestHandler,
  verifyLimiter: RequestHandler,
  /** Its own limiter (auth/limiters.ts): failed logins never hold up a refresh. */
  refreshLimiter?: RequestHandler,
): RouteDef[] {
  return [
    // ------------------------------------------------------------ auth
    route({
      method: 'post',
      path: '/auth/login',
      tag: 'auth',
      summary: 'Log in; returns an access token (RS256 JWT) and a refresh token',
      access: { kind: 'public' },
      body: S.LoginBody,
      before: [loginLimiter],
      handler: async ({ body, caller }) => s.auth.login(body.username, body.password, caller.requestId),
    }),
    route({
      method: 'post',
      path: '/auth/refresh',
      tag: 'auth',
      summary: 'Rotate a refresh token for a new token pair',
      access: { kind: 'public' },
      body: S.RefreshBody,
      before: refreshLimiter ? [refreshLimiter] : [],
      handler: async ({ body }) => s.auth.refresh(body.refreshToken),
    }),
    route({
      method: 'post',
      path: '/auth/logout',
      tag: 'auth',
      summary:
        "Revoke the access token presented (at once) and the given refresh token (or all of the user's)",
      access: ANY_USER,
      mfaEnrollment: true,
      body: S.LogoutBody,
      status: 204,
      handler: async ({ caller, body }) => {
        await s.auth.logout(caller, body.refreshToken);
        return undefined;
      },
    }),
    route({
      method: 'post',
      path: '/auth/password',
      tag: 'auth',
      summary:
        "Change one's own password (current password, policy); every access and refresh token of the user is revoked",
      access: ANY_USER,
      body: S.ChangePasswordBody,
      status: 204,
      handler: async ({ caller, body }) => {
        await s.auth.changePassword(caller, body.currentPassword, body.newPassword);
        return undefined;
      },
    }),
    route({
      method: 'get',
      path: '/auth/me',
      tag: 'auth',
      summary: 'The current user',
      access: ANY_USER,
      mfaEnrollment: true,
      handler: async ({ caller }) => s.users.me(caller.userId),
    }),
    // ------------------------------------------------------------ two-factor (routes/mfa.ts)
    ...mfaRoutes(s.mfa, loginLimiter),
    // ------------------------------------------------------------ users (org admin)
    route({
      method: 'get',
      path: '/users',
      tag: 'users',
      summary: "The org's users",
      access: { kind: 'user', roles: ['admin', 'auditor'] },
      handler: async () => ({ items: await s.users.list() }),
    }),
    route({
      method: 'post',
      path: '/users',
      tag: 'users',
      status: 201,
      summary:
        'Create a user: Fabric CA identity with its role attribute, on-chain registration, credentials',
      access: { kind: 'user', roles: ['admin'] },
      body: S.CreateUserBody,
      headers: [IDEMPOTENCY_HEADER],
      idempotent: {},
      submits: true,
      handler: async ({ caller, body }) => s.users.create(caller, body),
    }),
    route({
      method: 'patch',
      path: '/users/:id',
      tag: 'users',
      summary: 'Suspend/reactivate (on-chain too), reset password, edit profile',
      access: { kind: 'user', roles: ['admin'] },
      body: S.UpdateUserBody,
      params: { id: z.string().uuid() },
      headers: [IDEMPOTENCY_HEADER],
      idempotent: {},
      submits: true,
      handler: async ({ caller, body, params }) => s.users.update(caller, params.id, body),
    }),
    route({
      method: 'post',
      path: '/users/:id/unlock',
      tag: 'users',
      summary: 'Unlock a user locked out by failed logins (audited)',
      access: { kind: 'user', roles: ['admin'] },
      params: { id: z.string().uuid() },
      handler: async ({ caller, params }) => s.auth.unlock(caller, params.id),
    }),
    // ------------------------------------------------------------ exporters (ECTA writes, all read)
    route({
      method: 'get',
      path: '/exporters',
      tag: 'exporters',
      summary: 'Exporter licences (ledger)',
      access: ANY_USER,
      query: S.PageQuery,
      handler: async ({ caller, query }) => s.registries.listExporters(caller, query),
    }),
    route({
      method: 'post',
      path: '/exporters',
      tag: 'exporters',
      status: 201,
      summary: 'License an exporter (ECTA)',
      access: { kind: 'user', roles: ['ecta_officer', 'admin'], orgs: ['ecta'] },
      body: S.CreateExporterBody,
      headers: [IDEMPOTENCY_HEADER],
      idempotent: {},
      submits: true,
      handler: async ({ caller, body }) => s.registries.registerExporter(caller, body),
    }),
    route({
      method: 'get',
      path: '/exporters/:id',
      tag: 'exporters',
      summary: 'One exporter licence (ledger)',
      access: ANY_USER,
      params: { id: S.ID },
      handler: async ({ caller, params }) => s.registries.getExporter(caller, params.id),
    }),
    route({
      method: 'patch',
      path: '/exporters/:id',
      tag: 'exporters',
      summary: 'Update a licence (ECTA)',
      access: { kind: 'user', roles: ['ecta_officer', 'admin'], orgs: ['ecta'] },
      body: S.UpdateExporterBody,
      params: { id: S.ID },
      headers: [IDEMPOTENCY_HEADER],
      idempotent: {},
      submits: true,
      handler: async ({ caller, body, params }) => s.registries.updateExporter(caller, params.id, body),
    }),
    // ------------------------------------------------------------ minimum prices
    route({
      method: 'get',
      path: '/minimum-prices',
      tag: 'minimum-prices',
      summary: 'Published minimum prices (ledger)',
      access: ANY_USER,
      query: S.GradeQuery,
      handler: async ({ caller, query }) => s.registries.listMinimumPrices(caller, query.grade),
    }),
    route({
      method: 'post',
      path: '/minimum-prices',
      tag: 'minimum-prices',
      status: 201,
      summary: 'Publish a minimum price row (ECTA)',
      access: { kind: 'user', roles: ['ecta_officer'], orgs: ['ecta'] },
      body: S.MinimumPriceBody,
      headers: [IDEMPOTENCY_HEADER],
      idempotent: {},
      submits: true,
      handler: async ({ caller, body }) => s.registries.publishMinimumPrice(caller, body),
    }),
    route({
      method: 'get',
      path: '/workflow-config',
      tag: 'minimum-prices',
      summary: 'The workflow deadlines in force, and an open proposal to change them',
      access: ANY_USER,
      handler: async ({ caller }) => s.registries.getWorkflowConfig(caller),
    }),
    route({
      method: 'put',
      path: '/workflow-config',
      tag: 'minimum-prices',
      summary: 'Propose new workflow deadlines (ECTA or the National Bank; the other must approve)',
      access: { kind: 'user', roles: ['ecta_officer', 'fx_officer'], orgs: ['ecta', 'national-bank'] },
      body: S.WorkflowConfigBody,
      headers: [IDEMPOTENCY_HEADER],
      idempotent: {},
      submits: true,
      handler: async ({ caller, body }) => s.registries.proposeWorkflowConfig(caller, body),
    }),
    route({
      method: 'post',
      path: '/workflow-config/approve',
      tag: 'minimum-prices',
      summary: 'Approve the open deadlines proposal (the regulator that did not propose it)',
      access: { kind: 'user', roles: ['ecta_officer', 'fx_officer'], orgs: ['ecta', 'national-bank'] },
      body: S.ApproveConfigBody,
      headers: [IDEMPOTENCY_HEADER],
      idempotent: {},
      submits: true,
      handler: async ({ caller, body }) => s.registries.approveWorkflowConfig(caller, body),
    }),
    // ------------------------------------------------------------ exports
    route({
      method: 'post',
      path: '/exports',
      tag: 'exports',
      status: 201,
      summary: 'Submit an export (exporter at the commercial bank); Idempotency-Key header',
      access: { kind: 'user', roles: ['exporter'], orgs: ['commercial-bank'] },
      body: S.CreateExportBody,
      headers: [IDEMPOTENCY_HEADER],
      idempotent: { resourceId: (b) => b.exportId ?? newExportId() },
      submits: true,
      handler: async ({ caller, body, idempotency }) => s.exports.create(caller, body, idempotency),
    }),
    route({
      method: 'get',
      path: '/exports',
      tag: 'exports',
      summary: 'List exports (read model): status, exporterId, q, cursor, limit',
      access: { kind: 'user', roles: WORKFLOW_ROLES },
      query: S.ListExportsQuery,
      handler: async ({ caller, query }) => s.exports.list(caller, query),
    }),
    route({
      method: 'get',
      path: '/exports/:id',
      tag: 'exports',
      summary: "One export: from the org's read model, or ?source=ledger for the ledger-verified view",
      access: { kind: 'user', roles: WORKFLOW_ROLES },
      query: S.GetExportQuery,
      params: { id: S.ID },
      handler: async ({ caller, params, query }) => s.exports.get(caller, params.id, query.source),
    }),
    route({
      method: 'get',
      path: '/exports/:id/trade-terms',
      tag: 'exports',
      summary:
        'The private trade terms the caller is entitled to (evaluated on the peer, never submitted; no salts)',
      access: { kind: 'user', roles: WORKFLOW_ROLES },
      params: { id: S.ID },
      handler: async ({ caller, params }) => s.exports.tradeTerms(caller, params.id),
    }),
    route({
      method: 'get',
      path: '/exports/:id/history',
      tag: 'exports',
      summary: 'Every committed version of the export (ledger)',
      access: { kind: 'user', roles: WORKFLOW_ROLES },
      params: { id: S.ID },
      handler: async ({ caller, params }) => s.exports.history(caller, params.id),
    }),
    route({
      method: 'post',
      path: '/exports/:id/actions/:action',
      tag: 'exports',
      summary:
        'A workflow step: register-contract, certify-quality, submit-fx, approve-fx, book-shipment, clear-customs, start-inspection, complete-inspection, ship, add-tracking-event, confirm-payment, confirm-repatriation, request-amendment, amend, attach-documents, reject, cancel, mark-defaulted',
      access: { kind: 'user', roles: WORKFLOW_ROLES },
      body: S.ActionBody,
      params: { id: S.ID, action: z.string().regex(/^[a-z-]{2,32}$/) },
      headers: [IDEMPOTENCY_HEADER],
      idempotent: {},
      submits: true,
      handler: async ({ caller, body, params, idempotency }) => {
        // An approval by a user with two-factor needs a recent proof (401 STEP_UP_REQUIRED before anything runs).
        await s.mfa.requireStepUp(caller, params.action);
        return s.exports.action(caller, params.id, params.action, body, idempotency);
      },
    }),
    route({
      method: 'post',
      path: '/exports/:id/documents',
      tag: 'documents',
      status: 201,
      summary:
        'Upload a document (multipart: type, file); exporter shipping documents are attached on-chain at once',
      access: { kind: 'user', roles: WORKFLOW_ROLES },
      multipart: S.UploadFields,
      params: { id: S.ID },
      headers: [IDEMPOTENCY_HEADER],
      idempotent: {},
      submits: true,
      handler: async ({ caller, body, params, req }) =>
        s.exports.upload(caller, params.id, fileOf(req), body),
    }),
    route({
      method: 'post',
      path: '/documents',
      tag: 'documents',
      status: 201,
      summary:
        'Upload a document for a step that carries it (multipart: type, file); reference it by CID in the step body',
      access: { kind: 'user', roles: WORKFLOW_ROLES },
      multipart: S.UploadFields,
      headers: [IDEMPOTENCY_HEADER],
      idempotent: {},
      submits: true,
      handler: async ({ caller, body, req }) => s.exports.upload(caller, undefined, fileOf(req), body),
    }),
    route({
      method: 'get',
      path: '/documents/:cid',
      tag: 'documents',
      summary: 'Download a document after checking its SHA-256 against the ledger',
      access: { kind: 'user', roles: WORKFLOW_ROLES },
      query: S.DocumentQuery,
      params: { cid: S.DocumentRef.shape.cid },
      handler: async ({ caller, params, query, res }) => {
        const { bytes, doc } = await s.exports.download(caller, params.cid, query.exportId);
        res.setHeader('Content-Type', doc.mediaType);
        res.setHeader('X-Content-SHA256', doc.sha256);
        res.setHeader('X-Content-Type-Options', 'nosniff');
        // Even if a browser were told to show it, an uploaded file runs nothing in this origin.
        res.setHeader('Content-Security-Policy', "sandbox; default-src 'none'");
        res.setHeader(
          'Content-Disposition',
          `attachment; filename="${doc.type.toLowerCase()}-v${doc.version}"`,
        );
        res.status(200).end(bytes);
        return undefined;
      },
    }),
    // ------------------------------------------------------------ public
    route({
      method: 'get',
      path: '/verify/:exportId',
      tag: 'public',
      summary:
        "Public proof of an export's state, step times and document hashes (no login; no CIDs, private values or user names; rate-limited)",
      access: { kind: 'public' },
      params: { exportId: S.ID },
      before: [verifyLimiter],
      handler: async ({ params }) => {
        const view = await s.exports.verify(params.exportId);
        // The EUDR status an EU importer or border checks: whether a package is needed and its status only.
        const eudr = s.eudr ? await s.eudr.publicStatus(params.exportId) : null;
        return eudr ? { ...view, eudr } : view;
      },
    }),
    // ------------------------------------------------------------ EUDR (routes/eudr.ts)
    ...eudrRoutes(s.eudr),
  ];
}
