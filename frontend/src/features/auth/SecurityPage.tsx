/**
 * Two-factor authentication for the signed-in user: its status; the enrollment (a QR code of the otpauth:// URI,
 * the secret as text for typing in, a code to confirm); the ten recovery codes, shown once.
 */
import { type FormEvent, type ReactElement, useEffect, useRef, useState } from 'react';
import {
  type MfaEnrollment,
  type MfaStatus,
  confirmMfaEnrollment,
  mfaStatus,
  startMfaEnrollment,
} from '../../api/client';
import { Field } from '../../components/Field';
import { QrCode } from '../../components/QrCode';
import { Loading, ProblemMessage } from '../../components/ui';
import { usePageTitle } from '../../lib/usePageTitle';
import { useSession } from './session';

/** The secret in groups of four, easier to type. */
const grouped = (secret: string): string => secret.replace(/(.{4})/g, '$1 ').trim();

export function SecurityPage(): ReactElement {
  usePageTitle('Security');
  const session = useSession();
  const [status, setStatus] = useState<MfaStatus>();
  const [problem, setProblem] = useState<unknown>();
  const [enrollment, setEnrollment] = useState<MfaEnrollment>();
  const [code, setCode] = useState('');
  const [codeError, setCodeError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [recoveryCodes, setRecoveryCodes] = useState<string[]>();
  const codesRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    let live = true;
    mfaStatus().then(
      (s) => live && setStatus(s),
      (e: unknown) => live && setProblem(e),
    );
    return () => {
      live = false;
    };
  }, [recoveryCodes]);

  useEffect(() => {
    if (recoveryCodes) codesRef.current?.focus();
  }, [recoveryCodes]);

  async function start(): Promise<void> {
    setProblem(undefined);
    setBusy(true);
    try {
      setEnrollment(await startMfaEnrollment());
    } catch (e: unknown) {
      setProblem(e);
    } finally {
      setBusy(false);
    }
  }

  async function confirm(e: FormEvent): Promise<void> {
    e.preventDefault();
    setProblem(undefined);
    const v = code.trim();
    const err = /^\d{6}$/.test(v) ? undefined : 'Enter the 6-digit code your app shows';
    setCodeError(err);
    if (err) return;
    setBusy(true);
    try {
      setRecoveryCodes(await confirmMfaEnrollment(v));
      setEnrollment(undefined);
      setCode('');
    } catch (x: unknown) {
      setProblem(x);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="security-title">
      <h1 id="security-title">Security</h1>
      <h2>Two-factor authentication</h2>
      {session?.mfaEnrollmentRequired && !recoveryCodes && (
        <p className="notice" role="status" data-testid="mfa-required">
          Your organization requires two-factor authentication for your role. Set it up to continue.
        </p>
      )}
      {recoveryCodes ? (
        <div className="card" data-testid="recovery-codes">
          <h3 ref={codesRef} tabIndex={-1}>
            Two-factor authentication is on. Save your recovery codes
          </h3>
          <p>
            Each code signs you in once if you lose your phone. They are shown only now: print them or keep
            them in a password manager.
          </p>
          <ul className="recovery-codes" aria-label="Recovery codes">
            {recoveryCodes.map((c) => (
              <li key={c}>
                <code>{c}</code>
              </li>
            ))}
          </ul>
        </div>
      ) : status === undefined && !problem ? (
        <Loading />
      ) : status?.enabled ? (
        <p data-testid="mfa-enabled">
          Two-factor authentication is on
          {status.enabledAt && ` since ${new Date(status.enabledAt).toLocaleDateString()}`}.{' '}
          {status.recoveryCodesLeft} recovery code{status.recoveryCodesLeft === 1 ? '' : 's'} left. An
          administrator of your organization can reset it if you lose your phone.
        </p>
      ) : enrollment ? (
        <div className="card" data-testid="mfa-enrollment">
          <ol>
            <li>
              Scan this QR code with an authenticator app (e.g. FreeOTP, Aegis or Google Authenticator).
              <div>
                <QrCode
                  value={enrollment.otpauthUri}
                  label={`QR code for ${enrollment.issuer}: ${enrollment.label}`}
                />
              </div>
              <p>
                Cannot scan it? Enter this key in the app instead (time-based, {enrollment.digits} digits):{' '}
                <code data-testid="mfa-secret" aria-label="Secret key">
                  {grouped(enrollment.secret)}
                </code>
              </p>
            </li>
            <li>
              <form onSubmit={(e) => void confirm(e)} noValidate aria-label="Confirm two-factor">
                <Field
                  label="Code from the app"
                  name="code"
                  required
                  inputMode="numeric"
                  autoComplete="one-time-code"
                  value={code}
                  onChange={setCode}
                  error={codeError}
                />
                <button type="submit" disabled={busy}>
                  {busy ? 'Checking…' : 'Turn on two-factor'}
                </button>
              </form>
            </li>
          </ol>
        </div>
      ) : (
        <>
          <p>
            Two-factor authentication is off. With it on, signing in and approving a step needs a code from an
            app on your phone as well as your password.
          </p>
          <button type="button" onClick={() => void start()} disabled={busy}>
            Set up two-factor
          </button>
        </>
      )}
      <ProblemMessage error={problem} />
    </section>
  );
}
