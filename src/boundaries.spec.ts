import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const SRC = __dirname;
const MODULES = join(SRC, 'modules');

/**
 * The layers of the house, lowest first: a file imports from its own layer or one below it,
 * never from one above. The files at the top of src/ (main, bootstrap, the app module) sit on
 * top of them all; the gateway simulator is an app of its own that config reads knobs from.
 */
const LAYERS = [
  ['gateway-simulator'],
  ['config'],
  ['runtime'],
  ['database'],
  ['fleet'],
  ['http'],
  ['messaging'],
  ['modules'],
  ['ops'],
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [path] : [];
  });
}

/** The files `file` imports from src/, as paths without their extension. */
function importsOf(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)].map(([, target]) =>
    resolve(dirname(file), target),
  );
}

function layerOf(path: string): number {
  const top = relative(SRC, path).split(sep)[0];
  const layer = LAYERS.findIndex((folders) => folders.includes(top));
  return layer === -1 ? LAYERS.length : layer;
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
    for (const resolved of importsOf(file)) {
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

/** Every import that runs up a layer. */
function climbs(): string[] {
  return sourceFiles(SRC).flatMap((file) =>
    importsOf(file)
      .filter((target) => layerOf(target) > layerOf(file))
      .map((target) => `${relative(SRC, file)} imports ${relative(SRC, target)}`),
  );
}

/** The import cycles between files, each as the files it runs through. */
function cycles(): string[] {
  const files = new Map(sourceFiles(SRC).map((file) => [file.replace(/\.ts$/, ''), file]));
  const edgesOf = (path: string) =>
    importsOf(files.get(path)!)
      .map((target) => (files.has(target) ? target : `${target}/index`))
      .filter((target) => files.has(target));
  const found: string[] = [];
  const done = new Set<string>();
  const visit = (path: string, trail: string[]) => {
    if (trail.includes(path)) {
      found.push(
        [...trail.slice(trail.indexOf(path)), path].map((p) => relative(SRC, p)).join(' -> '),
      );
      return;
    }
    if (done.has(path)) return;
    for (const next of edgesOf(path)) visit(next, [...trail, path]);
    done.add(path);
  };
  for (const path of files.keys()) visit(path, []);
  return found;
}

describe('the house', () => {
  it('reaches another module only through its index or its message contracts', () => {
    expect(trespasses()).toEqual([]);
  });

  it('knows all five modules', () => {
    const modules = readdirSync(MODULES).filter((name) =>
      statSync(join(MODULES, name)).isDirectory(),
    );
    expect(modules.sort()).toEqual(['cart', 'fraud-check', 'notification', 'order', 'payment']);
  });

  it('imports only from its own layer or the ones below', () => {
    expect(climbs()).toEqual([]);
  });

  it('has no import cycle between files', () => {
    expect(cycles()).toEqual([]);
  });

  it('puts every folder of src/ in a layer', () => {
    const folders = readdirSync(SRC).filter((name) => statSync(join(SRC, name)).isDirectory());
    expect(folders.filter((folder) => !LAYERS.flat().includes(folder))).toEqual([]);
  });
});
