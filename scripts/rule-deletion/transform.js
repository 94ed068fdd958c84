'use strict';
/**
 * Jest transformer of the rule-deletion check: ts-jest, after making every rule site of
 * lib/ switchable (sites.js). Test files and everything outside lib/ pass through untouched.
 */
const path = require('node:path');
const crypto = require('node:crypto');
const { instrument } = require('./sites');

const ROOT = path.resolve(__dirname, '..', '..');
const LIB = path.join(ROOT, 'lib') + path.sep;
const SELF = crypto.createHash('sha256')
  .update(require('node:fs').readFileSync(path.join(__dirname, 'sites.js')))
  .update(require('node:fs').readFileSync(__filename))
  .digest('hex');

function rewrite(source, filename) {
  return filename.startsWith(LIB) ? instrument(path.relative(ROOT, filename), source) : source;
}

module.exports = {
  createTransformer(options) {
    const tsJest = require('ts-jest').default.createTransformer(options);
    return {
      canInstrument: false,
      getCacheKey(source, filename, opts) {
        return crypto.createHash('sha256').update(SELF).update(tsJest.getCacheKey(rewrite(source, filename), filename, opts)).digest('hex');
      },
      process(source, filename, opts) {
        return tsJest.process(rewrite(source, filename), filename, opts);
      },
    };
  },
};
