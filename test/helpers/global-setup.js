'use strict';
/** Jest globalSetup (host and VM configs): see report-bigint.js and bpffs-state.js. */
const reportBigintsAsStrings = require('./report-bigint');
const { bpffsMounted } = require('./bpffs-state');

module.exports = async function globalSetup() {
  await reportBigintsAsStrings();
  // globalSetup and globalTeardown run in Jest's own process: the state is kept there.
  globalThis.__structOpsBpffsWasMounted = bpffsMounted();
};
