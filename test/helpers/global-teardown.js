'use strict';
/** Jest globalTeardown (host and VM configs): /sys/fs/bpf back as globalSetup found it. */
const { restoreBpffs } = require('./bpffs-state');

module.exports = async function globalTeardown() {
  restoreBpffs(globalThis.__structOpsBpffsWasMounted !== false);
};
