/**
 * The module graph of every package's sources has no cycle: no module needs, while it loads, a
 * module that needs it back. The imports counted are those left after compilation (TypeScript
 * erases `import type` and imports used only as types).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const root = path.resolve(__dirname, '..');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Relative imports of a file that remain at run time, resolved to files (`./x` -> x.ts or x/index.ts). */
function importsOf(file: string): string[] {
  const js = ts.transpileModule(fs.readFileSync(file, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2021, isolatedModules: true },
  }).outputText;
  return Array.from(js.matchAll(/require\("(\.[^"]*)"\)/g), (m) => m[1])
    .map((name) => {
      const base = path.resolve(path.dirname(file), name);
      const found = [`${base}.ts`, path.join(base, 'index.ts')].find((p) => fs.existsSync(p));
      if (!found) throw new Error(`${path.relative(root, file)}: cannot resolve import '${name}'`);
      return found;
    });
}

/** One cycle (as a list of files) if the graph has any, found by depth-first search. */
function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string): string[] | null => {
    state.set(f, 'open');
    stack.push(f);
    for (const g of graph.get(f) ?? []) {
      if (state.get(g) === 'open') return [...stack.slice(stack.indexOf(g)), g];
      if (!state.has(g)) {
        const c = visit(g);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(f, 'done');
    return null;
  };
  for (const f of graph.keys()) {
    if (!state.has(f)) {
      const c = visit(f);
      if (c) return c;
    }
  }
  return null;
}

describe('no circular imports between modules', () => {
  const packages = fs.readdirSync(path.join(root, 'packages')).filter((p) => fs.existsSync(path.join(root, 'packages', p, 'src')));

  test.each(packages)('packages/%s/src', (pkg) => {
    const files = sourceFiles(path.join(root, 'packages', pkg, 'src'));
    const graph = new Map(files.map((f) => [f, importsOf(f)]));
    const cycle = findCycle(graph);
    expect(cycle === null ? 'no cycle' : cycle.map((f) => path.relative(root, f)).join(' -> ')).toBe('no cycle');
  });

  test('the check finds a cycle', () => {
    expect(findCycle(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]]))).toEqual(['a', 'b', 'c', 'a']);
    expect(findCycle(new Map([['a', ['b', 'c']], ['b', ['c']], ['c', []]]))).toBeNull();
  });
});
