// JUnit XML of a report, for CI: a test suite per variant, a test case per case (a failure or an error with its reasons).
import type { EvalReport } from './report.ts';

const escape = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c)
    // Characters XML 1.0 cannot carry at all (a model may write them).
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD');

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

/** The report as JUnit XML (`testsuites` › `testsuite` per variant › `testcase` per case). */
export function junitXml(report: EvalReport): string {
  const suites = report.variants.map((v) => {
    const cells = report.cases.flatMap((c) => {
      const cell = c.variants[v.name];
      return cell ? [{ id: c.id, cell }] : [];
    });
    const time = cells.reduce((sum, { cell }) => sum + cell.ms, 0);
    const cases = cells.map(({ id, cell }) => {
      const open = `    <testcase name="${escape(id)}" classname="${escape(`${report.workflowId}.${v.name}`)}" time="${seconds(cell.ms)}">`;
      const detail = `run ${cell.runId}: ${cell.status}${cell.reason ? `\n${cell.reason}` : ''}`;
      if (cell.outcome === 'pass') return `${open}</testcase>`;
      const tag = cell.outcome === 'error' ? 'error' : 'failure';
      return `${open}\n      <${tag} type="${cell.outcome}" message="${escape(cell.reason || cell.outcome)}">${escape(detail)}</${tag}>\n    </testcase>`;
    });
    const attrs = `name="${escape(`${report.workflowId} · ${v.name}`)}" tests="${cells.length}" failures="${v.fail + v.flagged}" errors="${v.error}" skipped="0" time="${seconds(time)}"`;
    return `  <testsuite ${attrs}>\n${cases.join('\n')}\n  </testsuite>`;
  });
  const tests = report.variants.reduce((sum, v) => sum + v.cases, 0);
  const failures = report.variants.reduce((sum, v) => sum + v.fail + v.flagged, 0);
  const errors = report.variants.reduce((sum, v) => sum + v.error, 0);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${escape(`eval ${report.evalId}`)}" tests="${tests}" failures="${failures}" errors="${errors}">\n${suites.join('\n')}\n</testsuites>\n`;
}
