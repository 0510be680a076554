/** Page frame: skip link, header with org and user, role-aware navigation, sign out. */
import type { ReactElement } from 'react';
import { NavLink, Outlet, useNavigate } from 'react-router-dom';
import { logout } from '../api/client';
import { orgByKey } from '../config';
import { useSession } from '../features/auth/session';
import { ROLE_LABELS } from '../lib/workflow';
import { readsExports } from '../lib/access';
import { mayReadOperations } from '../features/operations/OperationsPage';

export function Layout(): ReactElement {
  const session = useSession();
  const navigate = useNavigate();
  if (!session)
    return (
      <>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="topbar">
          <div className="brand">
            <span aria-hidden="true">☕</span> Coffee Export Portal
          </div>
        </header>
        <main id="main" tabIndex={-1}>
          <Outlet />
        </main>
      </>
    );
  const role = session.user.role;
  const reader = readsExports(session);
  const links: Array<[string, string]> = [['/', reader ? 'What needs me' : 'Home']];
  if (reader) links.push(['/exports', 'Exports']);
  if (role === 'exporter') links.push(['/exports/new', 'New export']);
  links.push([
    '/exporters',
    session.org === 'national-bank' ? 'Exporters & delinquency' : 'Exporter licences',
  ]);
  links.push(['/minimum-prices', 'Minimum prices']);
  if (reader) links.push(['/turnaround', 'Turnaround']);
  // EUDR plots: the orgs whose gateways show them (the exporter's bank, ECTA, ECX, Customs).
  if (session.org !== 'national-bank' && session.org !== 'shipping-line' && (reader || role === 'admin'))
    links.push(['/eudr/plots', 'EUDR plots']);
  if (session.org === 'ecta' && (role === 'ecta_officer' || role === 'auditor'))
    links.push(['/eudr/review', 'EUDR review']);
  if (role === 'admin') links.push(['/users', 'Users']);
  if (role === 'admin' || role === 'auditor') links.push(['/audit', 'Audit log']);
  if (role === 'admin') links.push(['/webhooks', 'Webhooks']);
  if (mayReadOperations(role)) links.push(['/operations', 'Operations']);
  links.push(['/verify', 'Verify']);
  links.push(['/security', 'Security']);

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="brand">
          <span aria-hidden="true">☕</span> Coffee Export Portal
        </div>
        <div className="whoami" data-testid="whoami">
          <span>{orgByKey(session.org).name}</span>
          <span className="sep" aria-hidden="true">
            ·
          </span>
          <span>
            {session.user.displayName ?? session.user.username} ({ROLE_LABELS[role] ?? role})
          </span>
          <button
            type="button"
            className="secondary small"
            onClick={() => {
              // At once, not after the gateway's answer: by then someone may have signed in again.
              void logout();
              navigate('/login', { replace: true });
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <nav className="mainnav" aria-label="Main">
        <ul>
          {links.map(([to, label]) => (
            <li key={to}>
              <NavLink to={to} end={to === '/' || to === '/exports'}>
                {label}
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
}
