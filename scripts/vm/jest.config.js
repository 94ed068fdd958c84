/**
 * Jest configuration inside the test VM: the kernel tests were compiled to JavaScript on
 * the host (scripts/vm/rootfs.sh), so there is no transform. Timeouts are generous because
 * TCG runs everything 5-20 times slower than the host.
 */
module.exports = {
  rootDir: '/app',
  roots: ['<rootDir>/test'],
  testMatch: ['**/test/kernel/**/*.test.js'],
  transform: {},
  testEnvironment: 'node',
  maxWorkers: 1,
  // --json reports survive a failed assertion on a bigint; /sys/fs/bpf is left as found.
  globalSetup: '<rootDir>/test/helpers/global-setup.js',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.js',
  testTimeout: Number(process.env.VMTEST_TEST_TIMEOUT_MS || 300000),
  // No cache: its files are written asynchronously, so an fd of Jest's may be open when a
  // test takes its /proc/self/fd baseline and closed when it checks it.
  cache: false,
  watchman: false,
};
