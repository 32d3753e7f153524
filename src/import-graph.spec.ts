import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import * as ts from 'typescript';

/**
 * The architecture rule of ARCHITECTURE.md's layout, checked over the import graph of src/
 * (production files; specs may reach across folders for fixtures):
 * - no cycle between folders (feature folders depend on each other one way only);
 * - the shared folders below import no feature folder;
 * - nothing in a folder imports the composition root (app.module, app.factory, main).
 */

/** Folders every feature may import: they hold no feature and depend on none. */
const SHARED_FOLDERS: ReadonlySet<string> = new Set(['common', 'config']);

/** Root files that wire the features together: only other root files (and tests) import them. */
const ROOT_FILES: ReadonlySet<string> = new Set(['app.module', 'app.factory', 'main']);

const SRC = __dirname;

interface Edge {
  from: string;
  to: string;
}

function productionFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      return productionFiles(path);
    }
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** Every relative import of every production file, as paths relative to src/ without extension. */
function fileEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const file of productionFiles(SRC)) {
    // preProcessFile sees import, import type, export … from, require and import() alike.
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith('.')) {
        continue;
      }
      const target = relative(SRC, resolve(dirname(file), fileName));
      if (!target.startsWith('..')) {
        edges.push({ from: relative(SRC, file).replace(/\.ts$/, ''), to: target });
      }
    }
  }
  return edges;
}

/** `emails/x` → `emails`; a root file (`app.module`) has no folder. */
function folderOf(path: string): string | null {
  const parts = path.split(sep);
  return parts.length > 1 ? parts[0] : null;
}

/** Strongly connected components of more than one folder (Tarjan). */
function folderCycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const lowlinks = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    indices.set(node, index);
    lowlinks.set(node, index);
    index += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indices.has(next)) {
        visit(next);
        lowlinks.set(node, Math.min(lowlinks.get(node)!, lowlinks.get(next)!));
      } else if (onStack.has(next)) {
        lowlinks.set(node, Math.min(lowlinks.get(node)!, indices.get(next)!));
      }
    }
    if (lowlinks.get(node) === indices.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) {
        cycles.push(component.sort());
      }
    }
  };
  for (const node of [...graph.keys()].sort()) {
    if (!indices.has(node)) {
      visit(node);
    }
  }
  return cycles;
}

describe('import graph of src/', () => {
  const edges = fileEdges();
  const crossFolder = edges.filter((edge) => {
    const from = folderOf(edge.from);
    const to = folderOf(edge.to);
    return from !== null && to !== null && from !== to;
  });

  it('finds the imports it checks', () => {
    expect(crossFolder.length).toBeGreaterThan(50);
  });

  it('has no cycle between folders', () => {
    const graph = new Map<string, Set<string>>();
    for (const { from, to } of crossFolder) {
      const targets = graph.get(folderOf(from)!) ?? new Set<string>();
      targets.add(folderOf(to)!);
      graph.set(folderOf(from)!, targets);
    }
    const report = folderCycles(graph).map((cycle) => {
      const inside = crossFolder.filter(
        (edge) => cycle.includes(folderOf(edge.from)!) && cycle.includes(folderOf(edge.to)!),
      );
      return `${cycle.join(' ↔ ')}:\n${inside.map((e) => `  ${e.from} → ${e.to}`).join('\n')}`;
    });
    expect(report).toEqual([]);
  });

  it('keeps the shared folders free of features', () => {
    const offending = crossFolder
      .filter((e) => SHARED_FOLDERS.has(folderOf(e.from)!) && !SHARED_FOLDERS.has(folderOf(e.to)!))
      .map((e) => `${e.from} → ${e.to}`);
    expect(offending).toEqual([]);
  });

  it('never imports the composition root from a folder', () => {
    const offending = edges
      .filter((e) => folderOf(e.from) !== null && folderOf(e.to) === null)
      .filter((e) => ROOT_FILES.has(e.to))
      .map((e) => `${e.from} → ${e.to}`);
    expect(offending).toEqual([]);
  });
});
