import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router-dom';
import { App } from './App';
import { loadRuntimeConfig } from './config';
import './styles.css';

// Older portals kept exporters' value salts in this browser; the gateway salts every commitment now.
try {
  for (const key of Object.keys(localStorage)) {
    if (key.startsWith('coffee-portal.salt.')) localStorage.removeItem(key);
  }
} catch {
  // storage unavailable: nothing was kept either
}

const root = document.getElementById('root');
if (root) {
  void loadRuntimeConfig().then(() => {
    createRoot(root).render(
      <StrictMode>
        <BrowserRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
          <App />
        </BrowserRouter>
      </StrictMode>,
    );
  });
}
