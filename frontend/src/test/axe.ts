/**
 * axe-core over the rendered document in jsdom. jsdom lays nothing out, so the rules that need a rendering
 * engine are off here (the browser end-to-end test runs them in chromium): colour contrast, and the rules that
 * measure boxes or scrolling.
 */
import axe from 'axe-core';
import { type Finding, seriousFindings } from './axeFindings';

const NEEDS_LAYOUT = [
  'color-contrast',
  'color-contrast-enhanced',
  'target-size',
  'scrollable-region-focusable',
];

export type { Finding } from './axeFindings';

/** Serious and critical violations in the current document (every WCAG A/AA rule and axe's best practices). */
export async function axeFindings(root: Element | Document = document): Promise<Finding[]> {
  const result = await axe.run(root, {
    resultTypes: ['violations', 'incomplete'],
    rules: Object.fromEntries(NEEDS_LAYOUT.map((id) => [id, { enabled: false }])),
  });
  return seriousFindings([...result.violations, ...result.incomplete]);
}
