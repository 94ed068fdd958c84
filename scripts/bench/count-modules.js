'use strict';
// Preloaded by scripts/bench.sh (`node -r count-modules.js SCRIPT ...`): at exit, prints how
// many module files the process loaded (require.cache, this file excluded) as
// {"modules":N} on stderr.
process.on('exit', () => {
  process.stderr.write(`{"modules":${Object.keys(require.cache).length - 1}}\n`);
});
