/**
 * The org's webhooks (org admins): register a receiver (https://, or http:// to a loopback address), see each
 * one's delivery log, disable one. A secret the gateway generates is shown once, right after registering.
 */
import { type FormEvent, type ReactElement, useState } from 'react';
import {
  type Webhook,
  createWebhook,
  listWebhookDeliveries,
  listWebhooks,
  setWebhookActive,
} from '../../api/client';
import { Empty, Loading, ProblemMessage, Success } from '../../components/ui';
import { formatDateTime } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { usePageTitle } from '../../lib/usePageTitle';
import { useSession } from '../auth/session';

/** Why the gateway would refuse this URL, said before asking it (the gateway decides). */
export function webhookUrlHint(raw: string): string | undefined {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'Enter an absolute URL (https://…)';
  }
  const loopback = ['localhost', '[::1]'].includes(u.hostname) || /^127\.\d+\.\d+\.\d+$/.test(u.hostname);
  if (u.protocol === 'https:' || (u.protocol === 'http:' && loopback)) return undefined;
  return 'Use https://, or http:// only to a loopback address';
}

function Deliveries({ hook }: { hook: Webhook }): ReactElement {
  const state = useAsync(() => listWebhookDeliveries(hook.id), [hook.id]);
  if (state.loading && !state.data) return <Loading label="Reading deliveries…" />;
  if (state.error) return <ProblemMessage error={state.error} onRetry={state.reload} />;
  const rows = state.data ?? [];
  if (rows.length === 0) return <Empty>No delivery yet.</Empty>;
  return (
    <div className="table-wrap">
      <table>
        <caption className="sr-only">Deliveries to {hook.url}, newest first</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Event</th>
            <th scope="col">Attempt</th>
            <th scope="col">Answer</th>
            <th scope="col">Outcome</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((d) => (
            <tr key={d.id}>
              <td data-label="When">{formatDateTime(d.at)}</td>
              <td data-label="Event" className="hash">
                {d.eventId}
              </td>
              <td data-label="Attempt">{d.attempt}</td>
              <td data-label="Answer">
                {d.statusCode ?? d.error ?? '—'} ({d.durationMs} ms)
              </td>
              <td data-label="Outcome">{d.outcome}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function WebhooksPage(): ReactElement {
  usePageTitle('Webhooks');
  const session = useSession();
  const admin = session?.user.role === 'admin';
  const hooks = useAsync(async () => (admin ? listWebhooks() : []), [admin]);
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [hint, setHint] = useState<string>();
  const [problem, setProblem] = useState<unknown>();
  const [created, setCreated] = useState<Webhook>();
  const [open, setOpen] = useState<string>();
  const [busy, setBusy] = useState(false);

  if (!admin)
    return (
      <section aria-labelledby="wh-title">
        <h1 id="wh-title">Webhooks</h1>
        <p className="problem" role="alert">
          Only the organization’s administrators manage webhooks.
        </p>
      </section>
    );

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const why = webhookUrlHint(url.trim());
    setHint(why);
    if (why) return;
    setBusy(true);
    setProblem(undefined);
    try {
      const hook = await createWebhook({
        url: url.trim(),
        ...(description.trim() ? { description: description.trim() } : {}),
      });
      setCreated(hook);
      setUrl('');
      setDescription('');
      hooks.refresh();
    } catch (err: unknown) {
      setProblem(err);
    } finally {
      setBusy(false);
    }
  };
  const toggle = async (h: Webhook): Promise<void> => {
    setProblem(undefined);
    try {
      await setWebhookActive(h.id, !h.active);
      hooks.refresh();
    } catch (err: unknown) {
      setProblem(err);
    }
  };

  return (
    <section aria-labelledby="wh-title">
      <h1 id="wh-title">Webhooks</h1>
      <p className="muted">
        Every export event your organization may see is POSTed to each active webhook, signed with HMAC-SHA256
        (<code>X-Coffee-Signature</code>) and retried with backoff until the receiver answers 2xx.
      </p>
      <form className="card" onSubmit={(e) => void submit(e)} aria-labelledby="wh-new" noValidate>
        <h2 id="wh-new">Register a webhook</h2>
        <label>
          Receiver URL{' '}
          <input
            name="url"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            aria-invalid={hint ? true : undefined}
            aria-describedby={hint ? 'wh-url-hint' : undefined}
            autoComplete="off"
          />
        </label>
        {hint && (
          <p id="wh-url-hint" className="error">
            {hint}
          </p>
        )}
        <label>
          Description{' '}
          <input name="description" value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <p>
          <button type="submit" disabled={busy}>
            Register webhook
          </button>
        </p>
      </form>
      {created?.secret && (
        <Success>
          Webhook registered. Its signing secret, shown only now:{' '}
          <code className="hash">{created.secret}</code>
        </Success>
      )}
      <ProblemMessage error={problem ?? hooks.error} onRetry={hooks.reload} />
      {hooks.loading && !hooks.data && <Loading label="Reading webhooks…" />}
      {hooks.data && hooks.data.length === 0 && <Empty>No webhook yet.</Empty>}
      {hooks.data && hooks.data.length > 0 && (
        <ul className="webhooks">
          {hooks.data.map((h) => (
            <li key={h.id} className="card">
              <h2 className="hash">{h.url}</h2>
              <p className="muted">
                {h.description ? `${h.description} · ` : ''}
                {h.active ? 'active' : 'disabled'} · registered {formatDateTime(h.createdAt)}
                {h.createdBy ? ` by ${h.createdBy}` : ''}
              </p>
              <p>
                <button
                  type="button"
                  className="secondary small"
                  aria-expanded={open === h.id}
                  onClick={() => setOpen(open === h.id ? undefined : h.id)}
                >
                  {open === h.id ? 'Hide deliveries' : 'Show deliveries'}
                </button>{' '}
                <button type="button" className="secondary small" onClick={() => void toggle(h)}>
                  {h.active ? 'Disable' : 'Enable'}
                </button>
              </p>
              {open === h.id && <Deliveries hook={h} />}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
