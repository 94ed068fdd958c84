'use strict';
/**
 * The rejection rules of lib/ as the rule-deletion check sees them: every `throw` of a
 * freshly made error (`throw new BpfError(...)`, `throw fail(...)`, `throw malformed(...)`),
 * found with the TypeScript parser. Re-throws of a caught value (`throw err`,
 * `throw outcome.error`) are not rules of their own and are left out.
 *
 * instrument() rewrites a file so that each site can be switched off at run time by
 * STRUCT_OPS_RULE_OFF=<site id>: the throw statement becomes
 * `{ if (process.env.STRUCT_OPS_RULE_OFF !== "<id>") { fired("<id>"); throw ...; } }`, i.e.
 * the rule is deleted and control goes on past it; otherwise the site reports that it fired
 * (to `globalThis.__structOpsRuleFired`, set by tracer.js when tracing) and throws as before.
 * The rewrite is the same for every site, so Jest's transform cache stays warm across runs.
 */
const ts = require('typescript');

/** Site id: lib-relative path, line and column of the `throw` (1-based). */
function siteId(rel, sf, node) {
  const { line, character } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
  return `${rel}:${line + 1}:${character + 1}`;
}

function isRule(node) {
  const e = node.expression;
  if (e === undefined) return false;
  return ts.isNewExpression(e) || ts.isCallExpression(e);
}

/** [{ id, start, end, text }] of the rule sites of one file's source. */
function ruleSites(rel, source) {
  const sf = ts.createSourceFile(rel, source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const sites = [];
  const visit = (node) => {
    if (ts.isThrowStatement(node) && isRule(node)) {
      sites.push({ id: siteId(rel, sf, node), start: node.getStart(sf), end: node.getEnd(), text: node.getText(sf).split('\n')[0] });
      return; // a throw inside a throw's expression is part of the same rule
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return sites;
}

/** The source with every rule site made switchable (see the header). */
function instrument(rel, source) {
  const sites = ruleSites(rel, source);
  let out = '';
  let at = 0;
  for (const s of sites) {
    out += source.slice(at, s.start);
    const id = JSON.stringify(s.id);
    out += `{ if (process.env.STRUCT_OPS_RULE_OFF !== ${id}) { globalThis.__structOpsRuleFired?.(${id}); ${source.slice(s.start, s.end)} } }`;
    at = s.end;
  }
  return out + source.slice(at);
}

module.exports = { ruleSites, instrument };
