// Rule after-not-resume-safe: delayed transitions, which XState does not persist (issue #5331).
import type { AnyStateMachine } from 'xstate';
import { eventLabel } from '../labels.ts';
import { allNodes, edgesOf, pathOf } from '../model.ts';
import type { Finding } from '../types.ts';

export function afterNotResumeSafe(machine: AnyStateMachine): Finding[] {
  const findings: Finding[] = [];
  for (const node of allNodes(machine)) {
    const delays = new Set(edgesOf(node).filter((e) => e.kind === 'after').map(eventLabel));
    for (const delay of delays) {
      findings.push({
        rule: 'after-not-resume-safe',
        severity: 'warning',
        path: pathOf(node),
        message:
          `'${delay}' is not persisted (xstate #5331): a run restored while it is pending never fires it; ` +
          `use an invoked timer actor whose input carries an absolute deadline`,
      });
    }
  }
  return findings;
}
