/** Org admins manage their own organization's users (create with a role; suspend / reactivate). */
import { type FormEvent, type ReactElement, useState } from 'react';
import { createUser, listMfaUsers, listUsers, updateUser } from '../../api/client';
import type { Role, User } from '../../api/types';
import { Field } from '../../components/Field';
import { Empty, Loading, ProblemMessage, Success } from '../../components/ui';
import { usersToCreate } from '../../lib/guidance';
import { useAsync } from '../../lib/useAsync';
import { usePageTitle } from '../../lib/usePageTitle';
import {
  type Errors,
  type Validator,
  hasErrors,
  oneOf,
  optional,
  pattern,
  rules,
  text,
  validateAll,
} from '../../lib/validation';
import { ORG_ROLES, ROLE_LABELS } from '../../lib/workflow';
import { useSession } from '../auth/session';
import { MfaReset } from './MfaReset';

type Key = 'username' | 'displayName' | 'email' | 'password' | 'role' | 'exporterId';

const password: Validator = (v) => {
  if (v.length < 12) return 'Password must be at least 12 characters';
  if (v.length > 200) return 'Password must be at most 200 characters';
  if (!/[A-Za-z]/.test(v) || !/\d/.test(v)) return 'Password must mix letters and digits';
  return undefined;
};

export function userValidators(roles: readonly string[], role: string): Record<Key, Validator> {
  return {
    username: pattern(
      'Username',
      /^[a-z0-9][a-z0-9._-]{2,63}$/,
      'must be 3-64 lowercase letters, digits, . _ -',
    ),
    displayName: optional(text('Display name', 200)),
    email: optional(pattern('Email', /^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'must be a valid address')),
    password,
    role: oneOf('Role', roles),
    exporterId: role === 'exporter' ? rules.exportId : () => undefined,
  };
}

function CreateUserForm({ roles, onDone }: { roles: readonly Role[]; onDone: () => void }): ReactElement {
  const empty: Record<Key, string> = {
    username: '',
    displayName: '',
    email: '',
    password: '',
    role: '',
    exporterId: '',
  };
  const [v, setV] = useState(empty);
  const [errors, setErrors] = useState<Errors<Key>>({});
  const [problem, setProblem] = useState<unknown>();
  const [ok, setOk] = useState<string>();
  const [busy, setBusy] = useState(false);
  const set = (k: Key) => (x: string) => setV((s) => ({ ...s, [k]: x }));
  async function onSubmit(e: FormEvent): Promise<void> {
    e.preventDefault();
    const errs = validateAll(v, userValidators(roles, v.role));
    setErrors(errs);
    setOk(undefined);
    if (hasErrors(errs)) return;
    setBusy(true);
    setProblem(undefined);
    try {
      await createUser({
        username: v.username.trim(),
        password: v.password,
        role: v.role as Role,
        ...(v.displayName.trim() ? { displayName: v.displayName.trim() } : {}),
        ...(v.email.trim() ? { email: v.email.trim() } : {}),
        ...(v.role === 'exporter' ? { exporterId: v.exporterId.trim() } : {}),
      });
      setOk(`User ${v.username} created with a Fabric identity (role ${v.role}).`);
      setV(empty);
      onDone();
    } catch (err: unknown) {
      setProblem(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form className="card" onSubmit={(e) => void onSubmit(e)} noValidate aria-labelledby="new-user">
      <h2 id="new-user">Add a user</h2>
      <div className="form-grid">
        <Field
          label="Username"
          name="username"
          required
          value={v.username}
          onChange={set('username')}
          error={errors.username}
          autoComplete="off"
        />
        <Field
          label="Display name"
          name="displayName"
          value={v.displayName}
          onChange={set('displayName')}
          error={errors.displayName}
        />
        <Field
          label="Email"
          name="email"
          type="email"
          value={v.email}
          onChange={set('email')}
          error={errors.email}
        />
        <Field
          label="Initial password"
          name="password"
          type="password"
          required
          value={v.password}
          onChange={set('password')}
          error={errors.password}
          autoComplete="new-password"
          hint="At least 12 characters, letters and digits"
        />
        <Field
          label="Role"
          name="role"
          type="select"
          required
          value={v.role}
          onChange={set('role')}
          error={errors.role}
          options={roles.map((r) => ({ value: r, label: ROLE_LABELS[r] }))}
        />
        {v.role === 'exporter' && (
          <Field
            label="Exporter id (ECTA licence)"
            name="exporterId"
            required
            value={v.exporterId}
            onChange={set('exporterId')}
            error={errors.exporterId}
          />
        )}
      </div>
      <ProblemMessage error={problem} />
      {ok && <Success>{ok}</Success>}
      <button type="submit" disabled={busy}>
        {busy ? 'Creating…' : 'Create user'}
      </button>
    </form>
  );
}

function StatusToggle({
  user,
  self,
  onDone,
}: {
  user: User;
  self: boolean;
  onDone: () => void;
}): ReactElement | null {
  const [problem, setProblem] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  if (self) return <span className="muted small">You</span>;
  const suspend = user.status !== 'SUSPENDED';
  return (
    <>
      <button
        type="button"
        className={suspend ? 'secondary small danger-outline' : 'secondary small'}
        disabled={busy}
        onClick={() => {
          setBusy(true);
          setProblem(undefined);
          updateUser(user.id, {
            status: suspend ? 'SUSPENDED' : 'ACTIVE',
            reason: suspend ? 'Suspended by org admin' : 'Reactivated by org admin',
          })
            .then(onDone, setProblem)
            .finally(() => setBusy(false));
        }}
      >
        {suspend ? `Suspend ${user.username}` : `Reactivate ${user.username}`}
      </button>
      <ProblemMessage error={problem} />
    </>
  );
}

/** While the administrator is the only user: the roles to create next and what each does. */
function FirstUsers({ org }: { org: string }): ReactElement {
  const g = usersToCreate(org);
  return (
    <Empty>
      <p>{g.intro}</p>
      <ul>
        {g.roles.map((r) => (
          <li key={r}>{r}</li>
        ))}
      </ul>
      {g.note && <p>{g.note}</p>}
    </Empty>
  );
}

export function UsersPage(): ReactElement {
  usePageTitle('Users');
  const session = useSession();
  const state = useAsync(() => listUsers(), []);
  // Who has two-factor on (a gateway without two-factor answers 404: nobody then).
  const mfa = useAsync(() => listMfaUsers().catch(() => [] as string[]), []);
  if (!session || session.user.role !== 'admin') {
    return (
      <section>
        <h1>Users</h1>
        <p className="problem" role="alert">
          Only your organization’s administrators manage users.
        </p>
      </section>
    );
  }
  const roles = ORG_ROLES[session.org] ?? [];
  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">Users of my organization</h1>
      <CreateUserForm roles={roles} onDone={state.reload} />
      {state.loading && <Loading />}
      <ProblemMessage error={state.error} onRetry={state.reload} />
      {state.data && state.data.every((u) => u.id === session.user.id) && <FirstUsers org={session.org} />}
      {state.data && state.data.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">Users</caption>
            <thead>
              <tr>
                <th scope="col">Username</th>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Exporter</th>
                <th scope="col">Status</th>
                <th scope="col">Manage</th>
              </tr>
            </thead>
            <tbody>
              {state.data.map((u) => (
                <tr key={u.id}>
                  <td data-label="Username">{u.username}</td>
                  <td data-label="Name">{u.displayName ?? '—'}</td>
                  <td data-label="Role">{ROLE_LABELS[u.role] ?? u.role}</td>
                  <td data-label="Exporter">{u.exporterId ?? '—'}</td>
                  <td data-label="Status">
                    {u.status ?? 'ACTIVE'}
                    {mfa.data?.includes(u.id) && <span className="small"> · two-factor on</span>}
                  </td>
                  <td data-label="Manage">
                    <StatusToggle user={u} self={u.id === session.user.id} onDone={state.reload} />
                    {mfa.data?.includes(u.id) && u.id !== session.user.id && (
                      <MfaReset user={u} onDone={mfa.reload} />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
