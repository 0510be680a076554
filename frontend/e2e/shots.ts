/**
 * The walkthrough's screenshots, by name: the browser test (portal.e2e.ts) saves them into the directory its
 * runner gives (PORTAL_SCREENSHOTS_DIR; `npm run docs:screenshots` sets docs/img/, which the README shows).
 */
export const DOC_SHOTS = {
  login: 'login-demo-accounts.png',
  ectaQueue: 'ecta-officer-queue.png',
  registerContract: 'register-contract.png',
  timeline: 'export-detail-timeline.png',
  phoneQueue: 'phone-375-bank-officer-queue.png',
  verify: 'public-verification.png',
} as const;

/** Viewports of the screenshots: the desktop one, and the phone one for DOC_SHOTS.phoneQueue. */
export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 375, height: 812 } as const;
