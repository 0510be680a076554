/**
 * Pick an organization, sign in at that org's gateway. In development the portal server publishes the seeded demo
 * accounts: they are listed per organization with what each role does, and a click fills the form.
 */
import { type FormEvent, type ReactElement, useEffect, useRef, useState } from 'react';
import { useLocation, useNavigate } from 'react-router-dom';
import { type LoginChallenge, login, verifyLoginCode } from '../../api/client';
import { Field } from '../../components/Field';
import { ProblemMessage } from '../../components/ui';
import { ORGS, type OrgKey, isOrgKey, orgByKey } from '../../config';
import { usePageTitle } from '../../lib/usePageTitle';
import { type Errors, type Validator, hasErrors, required, text, validateAll } from '../../lib/validation';
import { ROLE_LABELS, roleDuty } from '../../lib/workflow';
import { type Demo, type DemoAccount, NO_DEMO, groupByOrg, loadDemo, waitingInQueue } from './demoAccounts';
import { MfaCodeForm } from './MfaCodeForm';
import { takeLogoutReason } from './session';

type Key = 'org' | 'username' | 'password';
const LAST_ORG = 'coffee-portal.lastOrg';

export const loginValidators: Record<Key, Validator> = {
  org: (v: string) => (isOrgKey(v) ? undefined : 'Choose your organization'),
  username: text('Username', 200),
  password: required('Password'),
};

/** The seeded accounts per organization, each with what its role does; a click fills the sign-in form. */
function DemoAccounts({ demo, onPick }: { demo: Demo; onPick: (a: DemoAccount) => void }): ReactElement {
  const n = demo.exports.length;
  return (
    <section className="card demo-card" aria-labelledby="demo-title" data-testid="demo-accounts">
      <h2 id="demo-title">Demo accounts</h2>
      <p className="small">
        This portal runs with development data. Choose an account to fill in the form, then sign in.
        {n > 0 &&
          ` ${n} demo export${n === 1 ? ' waits' : 's wait'} at various steps, each in the queue of the role that acts next.`}
      </p>
      <div className="demo-orgs">
        {groupByOrg(demo.accounts).map((g) => (
          <div key={g.org} className="demo-org">
            <h3 id={`demo-${g.org}`}>{orgByKey(g.org).name}</h3>
            <ul className="demo-list" aria-labelledby={`demo-${g.org}`}>
              {g.accounts.map((a, i) => {
                const dutyId = `demo-${a.org}-${i}-duty`;
                const waiting = waitingInQueue(demo, a);
                return (
                  <li key={a.username}>
                    <button
                      type="button"
                      className="secondary small"
                      aria-describedby={dutyId}
                      onClick={() => onPick(a)}
                    >
                      Use {a.username}
                      <span className="sr-only"> at {orgByKey(a.org).name}</span>
                    </button>
                    <span id={dutyId} className="demo-duty">
                      {roleDuty(a.org, a.role)}
                      {a.exporterId && ` (exporter ${a.exporterId})`}
                      {waiting > 0 &&
                        `. ${waiting} demo export${waiting === 1 ? ' waits' : 's wait'} for this role.`}
                    </span>
                  </li>
                );
              })}
            </ul>
          </div>
        ))}
      </div>
    </section>
  );
}

export function LoginPage(): ReactElement {
  usePageTitle('Sign in');
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from;
  const [reason] = useState(() => takeLogoutReason());
  const [values, setValues] = useState<Record<Key, string>>({
    org: localStorage.getItem(LAST_ORG) ?? '',
    username: '',
    password: '',
  });
  const [errors, setErrors] = useState<Errors<Key>>({});
  const [problem, setProblem] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [demo, setDemo] = useState<Demo>(NO_DEMO);
  const [picked, setPicked] = useState<DemoAccount>();
  const submitRef = useRef<HTMLButtonElement>(null);
  /** The password was right and the user has two-factor: the code comes next. */
  const [challenge, setChallenge] = useState<LoginChallenge>();
  const set = (k: Key) => (v: string) => {
    setValues((s) => ({ ...s, [k]: v }));
    setPicked(undefined);
  };

  useEffect(() => {
    let live = true;
    void loadDemo().then((d) => {
      if (live) setDemo(d);
    });
    return () => {
      live = false;
    };
  }, []);

  function pick(a: DemoAccount): void {
    setValues({ org: a.org, username: a.username, password: a.password });
    setErrors({});
    setProblem(undefined);
    setPicked(a);
    submitRef.current?.focus();
  }

  async function onSubmit(e: FormEvent): Promise<void> {
    e.preventDefault();
    const errs = validateAll(values, loginValidators);
    setErrors(errs);
    setProblem(undefined);
    if (hasErrors(errs)) return;
    setBusy(true);
    try {
      const result = await login(values.org as OrgKey, values.username.trim(), values.password);
      localStorage.setItem(LAST_ORG, values.org);
      if ('mfaRequired' in result) {
        setChallenge(result);
        return;
      }
      navigate(result.mfaEnrollmentRequired ? '/security' : from && from !== '/login' ? from : '/', {
        replace: true,
      });
    } catch (err: unknown) {
      setProblem(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" className="login-page">
      <div className="card login-card">
        <h1>Coffee Export Portal</h1>
        <p className="muted">Sign in at your organization’s gateway.</p>
        {reason === 'expired' && (
          <p className="notice" role="status">
            Your session expired. Please sign in again.
          </p>
        )}
        {challenge ? (
          <>
            <h2>Two-factor authentication</h2>
            <p>Enter the code from your authenticator app to finish signing in as {values.username}.</p>
            <MfaCodeForm
              label="Two-factor code"
              submitLabel="Verify"
              onSubmit={async (proof) => {
                await verifyLoginCode(challenge, proof);
                navigate(from && from !== '/login' ? from : '/', { replace: true });
              }}
              onCancel={() => {
                setChallenge(undefined);
                setValues((v) => ({ ...v, password: '' }));
              }}
            />
          </>
        ) : (
          <form onSubmit={(e) => void onSubmit(e)} noValidate aria-label="Sign in">
            <Field
              label="Organization"
              name="org"
              type="select"
              required
              value={values.org}
              onChange={set('org')}
              error={errors.org}
              options={ORGS.map((o) => ({ value: o.key, label: o.name }))}
            />
            <Field
              label="Username"
              name="username"
              required
              autoComplete="username"
              value={values.username}
              onChange={set('username')}
              error={errors.username}
            />
            <Field
              label="Password"
              name="password"
              type="password"
              required
              autoComplete="current-password"
              value={values.password}
              onChange={set('password')}
              error={errors.password}
            />
            <ProblemMessage error={problem} />
            <p className="small demo-picked" role="status">
              {picked &&
                `Filled in ${picked.username} (${ROLE_LABELS[picked.role]}, ${orgByKey(picked.org).name}). Press Sign in.`}
            </p>
            <button type="submit" disabled={busy} ref={submitRef}>
              {busy ? 'Signing in…' : 'Sign in'}
            </button>
          </form>
        )}
        <p className="muted small">
          Checking an export certificate? <a href="/verify">Verify an export</a> without signing in.
        </p>
      </div>
      {demo.accounts.length > 0 && <DemoAccounts demo={demo} onPick={pick} />}
    </main>
  );
}
