/**
 * The rule-deletion check's own rules (scripts/rule-deletion/sites.js): which throws count
 * as rules, and that switching one off deletes exactly that rule and nothing else.
 */
import * as ts from 'typescript';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ruleSites, instrument } = require('../../../scripts/rule-deletion/sites.js') as {
  ruleSites(rel: string, source: string): { id: string; text: string }[];
  instrument(rel: string, source: string): string;
};

const SOURCE = [
  'export function check(n: number, other: () => void): string {',
  "  if (n < 0) throw new Error('negative');",
  "  if (n > 9) throw fail('big'); else other();",
  '  try { other(); } catch (err) { throw err; }',
  "  return 'ok';",
  '}',
  'function fail(why: string): Error { return new Error(why); }',
].join('\n');

function load(source: string): (n: number, other: () => void) => string {
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS } }).outputText;
  const mod = { exports: {} as Record<string, unknown> };
  new Function('module', 'exports', 'process', js)(mod, mod.exports, process);
  return mod.exports.check as (n: number, other: () => void) => string;
}

describe('rule-deletion sites', () => {
  test('fresh errors are rules, re-throws of a caught value are not', () => {
    expect(ruleSites('lib/x.ts', SOURCE).map((s) => s.id)).toEqual(['lib/x.ts:2:14', 'lib/x.ts:3:14']);
  });

  test('a site reports that it fired (the baseline trace), and a deleted one does not', () => {
    const check = load(instrument('lib/x.ts', SOURCE));
    const fired: string[] = [];
    const g = globalThis as { __structOpsRuleFired?: (id: string) => void };
    const saved = process.env.STRUCT_OPS_RULE_OFF;
    g.__structOpsRuleFired = (id) => fired.push(id);
    try {
      delete process.env.STRUCT_OPS_RULE_OFF;
      expect(() => check(-1, () => {})).toThrow('negative');
      check(5, () => {});
      process.env.STRUCT_OPS_RULE_OFF = 'lib/x.ts:3:14';
      check(10, () => {});
      expect(fired).toEqual(['lib/x.ts:2:14']);
    } finally {
      delete g.__structOpsRuleFired;
      if (saved === undefined) delete process.env.STRUCT_OPS_RULE_OFF;
      else process.env.STRUCT_OPS_RULE_OFF = saved;
    }
  });

  test('switching a site off deletes that rule only, and keeps an else branch where it was', () => {
    const check = load(instrument('lib/x.ts', SOURCE));
    const saved = process.env.STRUCT_OPS_RULE_OFF;
    try {
      delete process.env.STRUCT_OPS_RULE_OFF;
      expect(() => check(-1, () => {})).toThrow('negative');
      expect(() => check(10, () => {})).toThrow('big');
      let calls = 0;
      expect(check(5, () => { calls++; })).toBe('ok');
      expect(calls).toBe(2); // the else branch and the try both ran
      process.env.STRUCT_OPS_RULE_OFF = 'lib/x.ts:2:14';
      expect(check(-1, () => {})).toBe('ok');
      expect(() => check(10, () => {})).toThrow('big');
      process.env.STRUCT_OPS_RULE_OFF = 'lib/x.ts:3:14';
      expect(() => check(-1, () => {})).toThrow('negative');
      calls = 0;
      expect(check(10, () => { calls++; })).toBe('ok');
      expect(calls).toBe(1); // the else branch still belongs to the rule's if
    } finally {
      if (saved === undefined) delete process.env.STRUCT_OPS_RULE_OFF;
      else process.env.STRUCT_OPS_RULE_OFF = saved;
    }
  });
});
