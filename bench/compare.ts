/**
 * `npm run bench:compare -- before.json after.json`: each ratio of two flash-sale reports to
 * their own run's machine limits, side by side, and how far apart they are.
 */
import { readFileSync } from 'node:fs';
import { FlashSaleReport } from './report';
import { comparisonTableOf } from './ratios';

const [before, after] = process.argv.slice(2);
if (!before || !after) {
  console.error('Usage: npm run bench:compare -- <before.json> <after.json>');
  process.exit(2);
}
const read = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as FlashSaleReport;
console.log(comparisonTableOf(read(before), read(after)));
