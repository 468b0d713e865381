import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { CONFIGURATION_DOC, renderConfigurationDoc } from '../../scripts/configuration-doc';
import { Metrics } from '../runtime/metrics/metric-names';

const ROOT = join(__dirname, '..', '..');

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return path.endsWith('.md') ? [path] : [];
  });
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as dashes. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchorsOf(file: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, heading] of withoutCode(readFileSync(file, 'utf8')).matchAll(/^#{1,6} (.+)$/gm)) {
    const anchor = anchorOf(heading);
    const count = seen.get(anchor) ?? 0;
    seen.set(anchor, count + 1);
    anchors.add(count === 0 ? anchor : `${anchor}-${count}`);
  }
  return anchors;
}

/** The text without fenced blocks and code spans, where brackets are not links. */
function withoutCode(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
}

/** Every relative link of a page (`[text](target)`, images too) that leads nowhere. */
function brokenLinks(file: string): string[] {
  const broken: string[] = [];
  const text = withoutCode(readFileSync(file, 'utf8'));
  for (const [, target] of text.matchAll(/\]\(([^)\s]+)(?: "[^"]*")?\)/g)) {
    if (/^[a-z]+:/i.test(target)) continue;
    const [path, anchor] = target.split('#');
    const destination = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
    const where = `${relative(ROOT, file)}: ${target}`;
    if (!existsSync(destination)) broken.push(`${where} (no such file)`);
    else if (anchor && destination.endsWith('.md') && !anchorsOf(destination).has(anchor)) {
      broken.push(`${where} (no such heading)`);
    }
  }
  return broken;
}

describe('the docs', () => {
  it('docs/configuration.md is what `npm run docs:config` writes from the configuration schema', async () => {
    const written = readFileSync(CONFIGURATION_DOC, 'utf8');
    expect(written).toBe(await renderConfigurationDoc());
  });

  it('every relative link in README.md and docs/ leads to a file, and to a heading it names', () => {
    const pages = [join(ROOT, 'README.md'), ...markdownFiles(join(ROOT, 'docs'))];
    expect(pages.flatMap(brokenLinks)).toEqual([]);
  });

  it('the runbook names every metric the app serves', () => {
    const runbook = readFileSync(join(ROOT, 'docs', 'runbook.md'), 'utf8');
    expect(Object.values(Metrics).filter((name) => !runbook.includes(`\`${name}`))).toEqual([]);
  });
});
