/**
 * The two-factor routes (services/mfa.ts), in the route table's form: enrollment and status for the signed-in
 * user (open to a user whose role must enroll first), the login's second step, the step-up, and the org admin's
 * list and reset.
 */
import { z } from 'zod';
import type { MfaService } from '../services/mfa.ts';
import { route, type RouteDef } from './http.ts';
import type { RequestHandler } from 'express';

const Code = z.string().regex(/^\d{6}$/, 'six digits');
const RecoveryCode = z.string().regex(/^[A-Za-z0-9 -]{10,16}$/, 'a recovery code, XXXXX-XXXXX');
const RefreshToken = z.string().min(16).max(256);

/** A code or a recovery code, exactly one. */
const proof = <T extends z.ZodRawShape>(extra: T) =>
  z
    .object({ code: Code.optional(), recoveryCode: RecoveryCode.optional(), ...extra })
    .strict()
    .refine((b) => (b.code === undefined) !== (b.recoveryCode === undefined), {
      message: 'give either code or recoveryCode',
    });

export const VerifyMfaBody = proof({ challenge: z.string().min(16).max(128) });
export const StepUpBody = proof({ refreshToken: RefreshToken.optional() });
export const ConfirmMfaBody = z.object({ code: Code }).strict();

export function mfaRoutes(mfa: MfaService, loginLimiter: RequestHandler): RouteDef[] {
  const enrolling = { kind: 'user' } as const;
  return [
    route({
      method: 'post',
      path: '/auth/mfa/verify',
      tag: 'auth',
      summary:
        "A login's second step: the challenge the password gave and a TOTP code (or a recovery code) → the token pair",
      access: { kind: 'public' },
      body: VerifyMfaBody,
      before: [loginLimiter],
      handler: async ({ body, caller }) =>
        mfa.verifyLogin(
          body.challenge,
          { code: body.code, recoveryCode: body.recoveryCode },
          caller.requestId,
        ),
    }),
    route({
      method: 'get',
      path: '/auth/mfa',
      tag: 'auth',
      summary: "The caller's two-factor status: enabled, required by the org's policy, recovery codes left",
      access: enrolling,
      mfaEnrollment: true,
      handler: async ({ caller }) => mfa.status(caller),
    }),
    route({
      method: 'post',
      path: '/auth/mfa/enroll',
      tag: 'auth',
      summary:
        'Start a TOTP enrollment: a new secret and its otpauth:// URI (issuer = the org, label = the username) for a QR code',
      access: enrolling,
      mfaEnrollment: true,
      handler: async ({ caller }) => mfa.enroll(caller),
    }),
    route({
      method: 'post',
      path: '/auth/mfa/confirm',
      tag: 'auth',
      summary:
        'Confirm the enrollment with a code: two-factor on, ten single-use recovery codes (shown once) and a new token pair',
      access: enrolling,
      mfaEnrollment: true,
      body: ConfirmMfaBody,
      handler: async ({ caller, body }) => mfa.confirm(caller, body.code),
    }),
    route({
      method: 'post',
      path: '/auth/mfa/step-up',
      tag: 'auth',
      summary:
        'Prove the second factor again (an approval needs a recent proof): a new access token with a fresh mfaAt',
      access: { kind: 'user' },
      body: StepUpBody,
      handler: async ({ caller, body }) =>
        mfa.stepUp(caller, { code: body.code, recoveryCode: body.recoveryCode }, body.refreshToken),
    }),
    route({
      method: 'get',
      path: '/users/mfa',
      tag: 'users',
      summary: "The org's users with two-factor enabled (org admin)",
      access: { kind: 'user', roles: ['admin'] },
      handler: async () => ({ items: await mfa.list() }),
    }),
    route({
      method: 'post',
      path: '/users/:id/mfa/reset',
      tag: 'users',
      status: 204,
      summary:
        "Reset a user's two-factor (org admin; audited): secret and recovery codes removed, sessions revoked",
      access: { kind: 'user', roles: ['admin'] },
      params: { id: z.string().uuid() },
      handler: async ({ caller, params }) => {
        await mfa.reset(caller, params.id);
        return undefined;
      },
    }),
  ];
}
