/** Request schemas (zod), shared by validation and the OpenAPI document. */
import { z } from 'zod';

const USERNAME = /^[a-z0-9][a-z0-9._-]{1,62}$/;
export const ID = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, . _ - (max 64)');

export const LoginBody = z
  .object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) })
  .strict();
export const RefreshBody = z.object({ refreshToken: z.string().min(16).max(256) }).strict();
export const LogoutBody = z.object({ refreshToken: z.string().min(16).max(256).optional() }).strict();
export const ChangePasswordBody = z
  .object({ currentPassword: z.string().min(1).max(256), newPassword: z.string().min(1).max(256) })
  .strict();

export const CreateUserBody = z
  .object({
    username: z.string().regex(USERNAME, '2-63 characters of a-z, 0-9, . _ -'),
    password: z.string().min(12).max(256),
    role: z.string().regex(/^[a-z_]{2,32}$/),
    exporterId: ID.optional(),
    displayName: z.string().max(200).optional(),
    email: z.string().email().max(254).optional(),
  })
  .strict();

export const UpdateUserBody = z
  .object({
    status: z.enum(['ACTIVE', 'SUSPENDED']).optional(),
    reason: z.string().min(1).max(1000).optional(),
    password: z.string().min(12).max(256).optional(),
    displayName: z.string().max(200).optional(),
    email: z.string().email().max(254).optional(),
  })
  .strict();

export const CreateExporterBody = z
  .object({
    exporterId: ID,
    legalName: z.string().min(1).max(256),
    tin: z.string().regex(/^\d{10}$/, '10 digits'),
    licenceNumber: z.string().min(1).max(64),
    licenceValidUntil: z.string().min(10).max(30),
  })
  .strict();

export const UpdateExporterBody = z
  .object({
    legalName: z.string().min(1).max(256).optional(),
    licenceNumber: z.string().min(1).max(64).optional(),
    licenceValidUntil: z.string().min(10).max(30).optional(),
    status: z.enum(['ACTIVE', 'SUSPENDED', 'REVOKED', 'BANNED']).optional(),
    warnings: z.number().int().min(0).max(100).optional(),
    reason: z.string().max(1000).optional(),
  })
  .strict();

export const MinimumPriceBody = z
  .object({
    grade: z.string().regex(/^G[1-9]$/),
    originRegion: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]{0,63}$/)
      .optional(),
    usdPerKg: z.number().positive().max(1000),
    effectiveFrom: z.string().min(10).max(30),
  })
  .strict();

export const WorkflowConfigBody = z
  .object({
    shipByWindowSeconds: z.number().int().positive().optional(),
    repatriationWindowSeconds: z.number().int().positive().optional(),
  })
  .strict();

export const ApproveConfigBody = z.object({ version: z.number().int().positive() }).strict();

export const DocumentRef = z
  .object({
    type: z.string().regex(/^[A-Z][A-Z_]{1,63}$/),
    cid: z.string().regex(/^(Qm[1-9A-HJ-NP-Za-km-z]{44}|b[a-z2-7]{20,100})$/, 'a CIDv0 or base32 CIDv1'),
    quantityKg: z.number().int().positive().optional(),
    grade: z
      .string()
      .regex(/^G[1-9]$/)
      .optional(),
  })
  .strict();

export const CreateExportBody = z
  .object({
    exportId: ID.optional(),
    contract: z
      .object({
        contractNumber: z.string().min(1).max(64),
        buyerName: z.string().min(1).max(256),
        destinationCountry: z.string().regex(/^[A-Z]{2}$/),
        contractedGrade: z.string().regex(/^G[1-9]$/),
        quantityKg: z.number().int().positive(),
        originRegion: z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/),
        incoterm: z.enum(['FOB', 'FCA', 'CFR', 'CIF', 'CPT', 'CIP']),
      })
      .strict(),
    documents: z.array(DocumentRef).min(1).max(20),
    tradeTerms: z
      .object({
        unitPriceUsdPerKg: z.number().positive(),
        contractValueUsd: z.number().positive(),
        paymentMethod: z.enum(['LC', 'CAD', 'ADVANCE']),
        paymentTerms: z.string().max(1000).optional(),
      })
      .strict(),
    details: z.record(z.string().max(2000)).optional(),
  })
  .strict();

/** An action's body: the chaincode input fields (validated by the chaincode), documents by CID, private parts. */
export const ActionBody = z
  .object({ documents: z.array(DocumentRef).max(20).optional() })
  .catchall(
    z.union([
      z.string().max(2000),
      z.number(),
      z.boolean(),
      z.array(z.string().max(64)).max(100),
      z.record(z.union([z.string().max(1000), z.number()])),
    ]),
  );

export const ListExportsQuery = z
  .object({
    status: z
      .string()
      .regex(/^[A-Z_]{3,32}$/)
      .optional(),
    exporterId: ID.optional(),
    q: z.string().max(100).optional(),
    cursor: ID.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
  })
  .strict();

export const UploadFields = z
  .object({
    type: z.string().regex(/^[A-Z][A-Z_]{1,63}$/),
    quantityKg: z.coerce.number().int().positive().optional(),
    grade: z
      .string()
      .regex(/^G[1-9]$/)
      .optional(),
  })
  .strict();

export const PageQuery = z
  .object({
    pageSize: z.coerce.number().int().min(1).max(100).optional(),
    bookmark: z.string().max(1000).optional(),
  })
  .strict();
export const GradeQuery = z
  .object({
    grade: z
      .string()
      .regex(/^G[1-9]$/)
      .optional(),
  })
  .strict();
export const GetExportQuery = z
  .object({ source: z.enum(['read-model', 'ledger']).default('read-model') })
  .strict();
export const DocumentQuery = z.object({ exportId: ID.optional() }).strict();
