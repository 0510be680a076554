/** Routes: public login and verification; everything else needs a session. */
import { type ReactElement, Suspense, lazy } from 'react';
import { Navigate, Route, Routes } from 'react-router-dom';
import { Layout } from './components/Layout';
import { LoginPage } from './features/auth/LoginPage';
import { RequireAuth, useSession } from './features/auth/session';
import { CreateWizard } from './features/create/CreateWizard';
import { ExportDetail } from './features/detail/ExportDetail';
import { Dashboard } from './features/queue/Dashboard';
import { ExportsList } from './features/queue/ExportsList';
import { ExportersPage } from './features/registry/ExportersPage';
import { MinimumPricesPage } from './features/registry/MinimumPricesPage';
import { TurnaroundPage } from './features/turnaround/TurnaroundPage';
import { UsersPage } from './features/users/UsersPage';
import { MfaGate } from './features/auth/MfaGate';
import { SecurityPage } from './features/auth/SecurityPage';
import { StepUpDialog } from './features/auth/StepUpDialog';
import { VerifyPage } from './features/verify/VerifyPage';
import { AuditPage } from './features/audit/AuditPage';
import { WebhooksPage } from './features/webhooks/WebhooksPage';
import { OperationsPage } from './features/operations/OperationsPage';
import { Loading } from './components/ui';
import { usePageTitle } from './lib/usePageTitle';

// The EUDR map pages load Leaflet: their own chunk, fetched when first opened.
const PlotsPage = lazy(() => import('./features/eudr/PlotsPage').then((m) => ({ default: m.PlotsPage })));
const ReviewQueuePage = lazy(() =>
  import('./features/eudr/ReviewQueuePage').then((m) => ({ default: m.ReviewQueuePage })),
);
const lazyPage = (page: ReactElement): ReactElement => (
  <Suspense fallback={<Loading label="Loading the map…" />}>{page}</Suspense>
);

function ExporterOnly({ children }: { children: ReactElement }): ReactElement {
  const session = useSession();
  const exporter = session?.user.role === 'exporter';
  usePageTitle(exporter ? undefined : 'New export request');
  if (!exporter) {
    return (
      <section aria-labelledby="new-export-title">
        <h1 id="new-export-title">New export request</h1>
        <p className="problem" role="alert">
          Only exporters (Commercial Bank customers) create export requests.
        </p>
      </section>
    );
  }
  return children;
}

export function App(): ReactElement {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route element={<Layout />}>
        <Route path="/verify" element={<VerifyPage />} />
        <Route path="/verify/:id" element={<VerifyPage />} />
        <Route
          path="/*"
          element={
            <RequireAuth>
              <StepUpDialog />
              <MfaGate>
                <Routes>
                  <Route index element={<Dashboard />} />
                  <Route path="exports" element={<ExportsList />} />
                  <Route
                    path="exports/new"
                    element={
                      <ExporterOnly>
                        <CreateWizard />
                      </ExporterOnly>
                    }
                  />
                  <Route path="exports/:id" element={<ExportDetail />} />
                  <Route path="exporters" element={<ExportersPage />} />
                  <Route path="minimum-prices" element={<MinimumPricesPage />} />
                  <Route path="turnaround" element={<TurnaroundPage />} />
                  <Route path="users" element={<UsersPage />} />
                  <Route path="audit" element={<AuditPage />} />
                  <Route path="webhooks" element={<WebhooksPage />} />
                  <Route path="operations" element={<OperationsPage />} />
                  <Route path="eudr/plots" element={lazyPage(<PlotsPage />)} />
                  <Route path="eudr/review" element={lazyPage(<ReviewQueuePage />)} />
                  <Route path="security" element={<SecurityPage />} />
                  <Route path="*" element={<Navigate to="/" replace />} />
                </Routes>
              </MfaGate>
            </RequireAuth>
          }
        />
      </Route>
    </Routes>
  );
}
