'use strict';
/**
 * esbuild options for instrumented bundles (scripts/build-bundles.js --instrument-rules):
 * every lib/ source goes through sites.js's instrument(), so a CLI or library child process
 * deletes the rule named by STRUCT_OPS_RULE_OFF, as the Jest transformer does in-process.
 * With STRUCT_OPS_RULE_TRACE=FILE, a site that fires in a child appends
 * "<site>\t<STRUCT_OPS_RULE_TEST_FILE>" to FILE: a child cannot know which test file spawned
 * it, so the check runs its baseline one test file at a time and names the file in the env.
 */
const fs = require('node:fs');
const path = require('node:path');
const { instrument } = require('./sites');

// Defined only where tracer.js (in Jest's own process) has not defined it already.
const CHILD_TRACER = `if (process.env.STRUCT_OPS_RULE_TRACE && !globalThis.__structOpsRuleFired) {
  const seen = new Set();
  globalThis.__structOpsRuleFired = (id) => {
    if (seen.has(id)) return;
    seen.add(id);
    const fs = require('node:fs');
    const line = id + '\\t' + (process.env.STRUCT_OPS_RULE_TEST_FILE || '') + '\\n';
    // A child run as nobody cannot write the trace: it writes a file of its own in the
    // sticky, others-writable STRUCT_OPS_RULE_TRACE_CHILDREN. If that fails too, the run goes on.
    try {
      fs.appendFileSync(process.env.STRUCT_OPS_RULE_TRACE, line);
    } catch {
      try {
        fs.appendFileSync(process.env.STRUCT_OPS_RULE_TRACE_CHILDREN + '/' + process.pid, line);
      } catch {}
    }
  };
}`;

function instrumentedBuildOptions(root) {
  const lib = path.join(root, 'lib') + path.sep;
  return {
    banner: { js: CHILD_TRACER },
    plugins: [{
      name: 'rule-sites',
      setup(build) {
        build.onLoad({ filter: /\.ts$/ }, (args) => {
          if (!args.path.startsWith(lib)) return undefined;
          const source = fs.readFileSync(args.path, 'utf8');
          return { contents: instrument(path.relative(root, args.path), source), loader: 'ts' };
        });
      },
    }],
  };
}

module.exports = { instrumentedBuildOptions, CHILD_TRACER };
