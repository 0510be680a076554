/** Pick an organization, sign in at that org's gateway. */
import { type FormEvent, type ReactElement, useState } from 'react';
import { useLocation, useNavigate } from 'react-router-dom';
import { login } from '../../api/client';
import { Field } from '../../components/Field';
import { ProblemMessage } from '../../components/ui';
import { ORGS, type OrgKey, isOrgKey } from '../../config';
import { type Errors, type Validator, hasErrors, required, text, validateAll } from '../../lib/validation';
import { takeLogoutReason } from './session';

type Key = 'org' | 'username' | 'password';
const LAST_ORG = 'coffee-portal.lastOrg';

export const loginValidators: Record<Key, Validator> = {
  org: (v: string) => (isOrgKey(v) ? undefined : 'Choose your organization'),
  username: text('Username', 200),
  password: required('Password'),
};

export function LoginPage(): ReactElement {
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
  const set = (k: Key) => (v: string) => setValues((s) => ({ ...s, [k]: v }));

  async function onSubmit(e: FormEvent): Promise<void> {
    e.preventDefault();
    const errs = validateAll(values, loginValidators);
    setErrors(errs);
    setProblem(undefined);
    if (hasErrors(errs)) return;
    setBusy(true);
    try {
      await login(values.org as OrgKey, values.username.trim(), values.password);
      localStorage.setItem(LAST_ORG, values.org);
      navigate(from && from !== '/login' ? from : '/', { replace: true });
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
          <button type="submit" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        <p className="muted small">
          Checking an export certificate? <a href="/verify">Verify an export</a> without signing in.
        </p>
      </div>
    </main>
  );
}
