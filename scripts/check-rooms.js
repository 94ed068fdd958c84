#!/usr/bin/env node
'use strict';
/**
 * Room boundaries of lib/: reads every import (and re-export) of lib/**\/*.ts and reports
 *   cycle:  a strongly connected group of files that import each other
 *   deep:   a file importing another room's internals (anything but that room's index.ts)
 *   cli:    lib/cli importing anything outside lib/cli but the public API (lib/index.ts) and
 *           the entry points of the rooms that sit between the two (CLI_ROOMS)
 * A room is a top-level folder of lib/ (its entry point is its index.ts); each top-level
 * file of lib/ is a room of its own. Prints one violation per line; exits 1 if any.
 * test/unit/rooms.test.ts compares the list with an allow-list that may only shrink.
 */
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const LIB = path.join(ROOT, 'lib');

function listTs(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listTs(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out.sort();
}

/**
 * Rooms besides the public API that the CLI may enter (through their index.ts): the demo
 * is built on lib/index.ts itself, the loader on nothing but Node (ARCHITECTURE.md, "Rooms").
 */
const CLI_ROOMS = [
  path.join('lib', 'demo', 'index.ts'),
  // How the package's own bundles are loaded (with their code cache): the CLI entry loads
  // each command's bundle through it. It knows nothing of BPF.
  path.join('lib', 'loader', 'index.ts'),
];

// import ... from '...'; export ... from '...'; import '...'; import('...'); require('...')
const SPECIFIER = /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)|\brequire\(\s*['"]([^'"]+)['"]\s*\)/g;

function stripComments(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

function resolveImport(from, spec) {
  if (!spec.startsWith('.')) return null;
  const base = path.resolve(path.dirname(from), spec);
  for (const cand of [`${base}.ts`, path.join(base, 'index.ts'), base]) {
    if (cand.endsWith('.ts') && fs.existsSync(cand)) return cand;
  }
  return null;
}

/** Map file -> set of files it imports (lib-relative paths). */
function importGraph(libDir = LIB) {
  const graph = new Map();
  for (const file of listTs(libDir)) {
    const rel = path.relative(ROOT, file);
    const deps = new Set();
    const text = stripComments(fs.readFileSync(file, 'utf8'));
    for (const m of text.matchAll(SPECIFIER)) {
      const spec = m[1] ?? m[2] ?? m[3] ?? m[4];
      const target = resolveImport(file, spec);
      if (target !== null && target.startsWith(libDir + path.sep)) deps.add(path.relative(ROOT, target));
    }
    graph.set(rel, deps);
  }
  return graph;
}

/** lib/<room>/... -> <room>; lib/x.ts -> x.ts */
function roomOf(rel) {
  const parts = rel.split(path.sep);
  return parts.length === 2 ? parts[1] : parts[1];
}

function isRoomEntry(rel) {
  const parts = rel.split(path.sep);
  return parts.length === 2 || (parts.length === 3 && parts[2] === 'index.ts');
}

/** Tarjan's strongly connected components, each with more than one file (or a self-import). */
function cycles(graph) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const out = [];
  function visit(v) {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) {
        low.set(v, Math.min(low.get(v), idx.get(w)));
      }
    }
    if (low.get(v) === idx.get(v)) {
      const group = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1 || (graph.get(v) ?? new Set()).has(v)) out.push(group.sort());
    }
  }
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) visit(v);
  return out;
}

/** Every violation as one line, sorted. */
function violations(graph = importGraph()) {
  const out = [];
  for (const group of cycles(graph)) out.push(`cycle: ${group.join(' ')}`);
  const publicApi = path.join('lib', 'index.ts');
  for (const [from, deps] of graph) {
    const fromRoom = roomOf(from);
    for (const to of deps) {
      const toRoom = roomOf(to);
      if (toRoom === fromRoom) continue;
      if (fromRoom === 'cli') {
        if (to !== publicApi && !CLI_ROOMS.includes(to)) out.push(`cli: ${from} -> ${to}`);
      } else if (!isRoomEntry(to)) {
        out.push(`deep: ${from} -> ${to}`);
      }
    }
  }
  return out.sort();
}

module.exports = { importGraph, cycles, violations, listTs };

if (require.main === module) {
  const list = violations();
  for (const v of list) process.stdout.write(`${v}\n`);
  process.exit(list.length === 0 ? 0 : 1);
}
