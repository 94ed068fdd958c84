'use strict';
/**
 * Part of Jest's globalSetup (global-setup.js). Runs in Jest's own process, where `--json` writes
 * the report: a failed `expect(x).toBe(17n)` carries bigints in its failure details, and
 * JSON.stringify throws on a bigint, which used to turn one failed assertion into a lost
 * report ("Do not know how to serialize a BigInt"). Bigints are written as decimal strings
 * there. Test files run in their own realm, so their JSON.stringify is unchanged.
 */
module.exports = async function reportBigintsAsStrings() {
  if (!Object.prototype.hasOwnProperty.call(BigInt.prototype, 'toJSON')) {
    Object.defineProperty(BigInt.prototype, 'toJSON', {
      value() { return this.toString(); },
      configurable: true,
      writable: true,
    });
  }
};
