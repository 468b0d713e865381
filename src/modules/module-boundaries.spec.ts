import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const MODULES = __dirname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [path] : [];
  });
}

function moduleOf(path: string): string | null {
  const inside = relative(MODULES, path);
  return inside.startsWith('..') || !inside.includes(sep) ? null : inside.split(sep)[0];
}

/** Every import that leaves its module for another module's internals. */
function trespasses(): string[] {
  const found: string[] = [];
  for (const file of sourceFiles(MODULES)) {
    const own = moduleOf(file);
    for (const [, target] of readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
      const resolved = resolve(dirname(file), target);
      const other =
        moduleOf(resolved) ?? (dirname(resolved) === MODULES ? resolved.split(sep).pop()! : null);
      if (!other || other === own) continue;
      const entry = relative(join(MODULES, other), resolved);
      const allowed = entry === '' || entry === 'index' || /^[\w-]+\.contracts$/.test(entry);
      if (!allowed) found.push(`${relative(MODULES, file)} imports ${other}/${entry}`);
    }
  }
  return found;
}

describe('module boundaries', () => {
  it('reaches another module only through its index or its message contracts', () => {
    expect(trespasses()).toEqual([]);
  });

  it('knows all five modules', () => {
    const modules = readdirSync(MODULES).filter((name) =>
      statSync(join(MODULES, name)).isDirectory(),
    );
    expect(modules.sort()).toEqual(['cart', 'fraud-check', 'notification', 'order', 'payment']);
  });
});
