/**
 * The README's cost tables are the cost model's output for a fresh clone (`npm run docs:cost`
 * rewrites them), so a change to the prices, the record or the stages' defaults cannot leave
 * them stale.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { COST_SECTION, renderCostDocs } from '../../../tools/docs/cost-docs';
import { readSection } from '../../../tools/docs/generated-section';

const README = path.join(__dirname, '..', '..', '..', 'README.md');

test('the committed cost tables are exactly what the generator prints', () => {
  const committed = readSection(readFileSync(README, 'utf8'), COST_SECTION);
  expect(committed).toBeDefined();
  if (committed !== renderCostDocs())
    throw new Error('README.md: the cost tables are stale; regenerate them (npm run docs:cost) and commit them');
});

test('each stage has its table with a total and the per-million line, and says its figures are assumptions', () => {
  const docs = renderCostDocs();
  for (const stage of ['dev', 'prod']) {
    expect(docs).toContain(`| ${stage} | 1 rps | 10 rps | 100 rps |`);
    expect(docs).toMatch(new RegExp(`- ${stage}: record \\d+ B; Lambda duration assumption \\(tools/cost/inputs\\.ts\\)`));
  }
  expect(docs.match(/^\| \*\*total a month\*\* \|/gm)).toHaveLength(2);
  expect(docs.match(/^\| per million requests \|/gm)).toHaveLength(2);
});
