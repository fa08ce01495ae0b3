/**
 * The alarm table in the docs is the generator's output, so it cannot drift from the
 * catalog the stack builds its alarms from (monitoring-stack.test.ts checks that link).
 * README.md's section between the markers is checked (`npm run docs:alarms` rewrites it).
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ALARM_SECTION, documentedStages, renderAlarmDocs } from '../../../tools/docs/alarm-docs';
import { readSection } from '../../../tools/docs/generated-section';
import { resolveAlarms } from '../../../lib/monitoring/alarm-catalog';

const ROOT = path.join(__dirname, '..', '..', '..');
const REGENERATE = 'npm run docs:alarms';

function section(file: string): string | undefined {
  const full = path.join(ROOT, file);
  return existsSync(full) ? readSection(readFileSync(full, 'utf8'), ALARM_SECTION) : undefined;
}

test('the committed alarm table is exactly what the generator prints', () => {
  const generated = renderAlarmDocs();
  const documented = ['README.md'].map((file) => [file, section(file)] as const).filter(([, s]) => s !== undefined);
  expect(documented.length).toBeGreaterThan(0);
  for (const [file, text] of documented) {
    if (text !== generated) throw new Error(`${file}: the alarm table is stale; regenerate it (${REGENERATE}) and commit it`);
  }
});

test('the table has one row per catalog alarm and one threshold column per stage', () => {
  const stages = documentedStages();
  expect(stages.map((s) => s.stage)).toEqual(['dev', 'prod', 'staging']);
  const rows = renderAlarmDocs()
    .split('\n')
    .filter((l) => l.startsWith('| `'));
  expect(rows.map((r) => r.split(' | ')[0].slice(3, -1))).toEqual(resolveAlarms(stages[0]).map((a) => a.id));
  const latency = rows.find((r) => r.startsWith('| `ApiLatencyP99`'))!.split(' | ');
  expect(latency.slice(3, 6)).toEqual(['> 6,000 ms', '> 2,000 ms', '> 2,000 ms']);
  const cpu = rows.find((r) => r.startsWith('| `EndpointCpuUtilization`'))!.split(' | ');
  expect(cpu.slice(3, 6)).toEqual(['—', '> 80%', '> 80%']);
});
