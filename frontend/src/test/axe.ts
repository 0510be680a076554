/**
 * axe-core over the rendered document in jsdom. jsdom lays nothing out, so the rules that need a rendering
 * engine are off here (the browser end-to-end test runs them in chromium): colour contrast, and the rules that
 * measure boxes or scrolling.
 */
import axe from 'axe-core';

const NEEDS_LAYOUT = [
  'color-contrast',
  'color-contrast-enhanced',
  'target-size',
  'scrollable-region-focusable',
];

export interface Finding {
  rule: string;
  impact: string;
  help: string;
  targets: string[];
}

/** Serious and critical violations in the current document (every WCAG A/AA rule and axe's best practices). */
export async function axeFindings(root: Element | Document = document): Promise<Finding[]> {
  const result = await axe.run(root, {
    resultTypes: ['violations', 'incomplete'],
    rules: Object.fromEntries(NEEDS_LAYOUT.map((id) => [id, { enabled: false }])),
  });
  return [...result.violations, ...result.incomplete]
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({
      rule: v.id,
      impact: v.impact ?? '',
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
}
