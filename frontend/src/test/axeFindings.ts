/**
 * What an axe-core run reports that fails our audits: serious and critical findings, one line of facts each. Shared by
 * the component tests (jsdom, src/test/axe.ts) and the browser end-to-end test (chromium, e2e/portal.e2e.ts).
 */
import type { Result } from 'axe-core';

export interface Finding {
  rule: string;
  impact: string;
  help: string;
  targets: string[];
}

export function seriousFindings(results: readonly Result[]): Finding[] {
  return results
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({
      rule: v.id,
      impact: v.impact ?? '',
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
}
