'use strict';
// Second step of `npm run build:ts` (after tsc): replaces the entry points in dist/ with
// esbuild bundles, so starting the library or the CLI resolves, reads and compiles one file
// instead of ~140 (the start-up measurements are in docs/startup.md).
//
//   dist/index.js                 the library (`require('struct-ops')`): lib/loader, which
//   dist/bundle/index.js          loads the library bundle (from lib/index.ts)
//   dist/cli/main.js              the CLI entry: argument dispatch and the command table
//   dist/cli/command-<name>.js    one bundle per command with its own copy of the CLI's
//                                 runCli, loaded only when it runs (see lib/cli/main.ts),
//                                 through lib/loader
//   X.js.v8cache                  V8's code for each bundle (scripts/build-code-cache.js)
//
// Files beside the package (the native addon, the demo object) are found from the package
// root (lib/package-root.ts), wherever a bundle sits. tsc's other outputs stay: the .d.ts
// files, and modules run as separate processes (dist/demo/traffic.js, the demo's sender in its network namespace).
const { build } = require('esbuild');
const { readdirSync, rmSync, writeFileSync } = require('node:fs');
const { join, resolve } = require('node:path');

const ROOT = join(__dirname, '..');
// --outdir DIR: where the bundles go (default dist/). scripts/vm/rootfs.sh builds the VM's
// copy of the package in another directory and bundles it there.
const outArg = process.argv.indexOf('--outdir');
const OUT = outArg > 0 && process.argv[outArg + 1] ? resolve(process.argv[outArg + 1]) : join(ROOT, 'dist');
// --instrument-rules: bundles whose rule sites can be deleted at run time, for the
// rule-deletion check of tests that run the CLI or the library as child processes
// (scripts/rule-deletion.js --scope test/cli). Without STRUCT_OPS_RULE_OFF they behave as the
// normal build; they get no code cache, and `npm run build:ts` replaces them.
const INSTRUMENT = process.argv.includes('--instrument-rules');
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Readable stack traces: minifying saves no measurable start-up time (docs/startup.md).
  minify: false,
  // Off: keepNames wraps every function and class, closures made in hot loops included,
  // in a __name() call that defines .name at run time (require and a first load were each
  // 0.3-0.5 ms slower). Unminified code keeps its names anyway; only a symbol esbuild
  // renames apart from another module's (encode2) shows the new name in a stack trace.
  // Errors name themselves (BpfError sets name).
  keepNames: false,
  legalComments: 'none',
  logLevel: 'warning',
  absWorkingDir: ROOT,
  ...(INSTRUMENT ? require('./rule-deletion/bundles').instrumentedBuildOptions(ROOT) : {}),
};


// The CLI entry imports each command lazily from lib/cli/commands/lazy.ts; in the bundle
// those imports become requires of the command's own bundle, resolved at run time.
const commandDir = join(ROOT, 'lib', 'cli', 'commands');
const commands = readdirSync(commandDir)
  .filter((f) => f.endsWith('.ts') && f !== 'index.ts' && f !== 'table.ts')
  .map((f) => f.slice(0, -3));
const lazyCommands = {
  name: 'lazy-commands',
  setup(build) {
    build.onResolve({ filter: /^\.\/[a-z-]+$/ }, (args) => {
      const name = args.path.slice(2);
      if (args.importer === join(commandDir, 'table.ts') && commands.includes(name)) {
        return { path: name, namespace: 'command-bundle' };
      }
      return undefined;
    });
    // The command's bundle sits beside the entry; lib/loader loads it with its code cache.
    build.onLoad({ filter: /.*/, namespace: 'command-bundle' }, (args) => ({
      contents: `const { requireBundle } = require(${JSON.stringify(join(ROOT, 'lib', 'loader'))});\n` +
        `module.exports = requireBundle(require('node:path').join(__dirname, ${JSON.stringify(`command-${args.path}.js`)}));\n`,
      resolveDir: ROOT,
      loader: 'js',
    }));
  },
};

// The commands that load objects into the kernel take the public API (lib/index.ts, all
// that lib/cli and lib/demo import of the library) from the library bundle, through
// lib/loader, instead of carrying a copy of it: they then run the library code whose V8
// code cache was made after a warm-up that planned and loaded objects
// (scripts/build-code-cache.js), not code compiled function by function at first use
// (`register` about 3 ms faster). The others keep their own smaller bundles: for `show` or
// `unregister` the whole library (0.47 MB and its cache) cost 4-5 ms more than it saved.
const LOADING_COMMANDS = new Set(['register', 'update', 'run', 'demo']);
const libraryIndex = join(ROOT, 'lib', 'index');
const sharedLibrary = {
  name: 'shared-library',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\/(\.\.\/)*index$/ }, (args) =>
      resolve(args.resolveDir, args.path) === libraryIndex ? { path: 'struct-ops', namespace: 'library-bundle' } : undefined);
    build.onLoad({ filter: /.*/, namespace: 'library-bundle' }, () => ({
      contents: `const { requireBundle } = require(${JSON.stringify(join(ROOT, 'lib', 'loader'))});\n` +
        "module.exports = requireBundle(require('node:path').join(__dirname, '..', 'bundle', 'index.js'));\n",
      resolveDir: ROOT,
      loader: 'js',
    }));
  },
};

// dist/index.js: loads the library bundle through lib/loader (its code cache, when trusted).
// `import { openObject } from 'struct-ops'` needs the export names where Node's CommonJS
// lexer can see them without running the file: the `0 && (module.exports = {...})` form
// esbuild itself emits, listing what the bundle exports.
function libraryEntry() {
  const names = Object.keys(require(join(OUT, 'bundle', 'index.js')));
  return build({
    ...common,
    stdin: {
      contents: "// The library (scripts/build-bundles.js): dist/bundle/index.js, loaded by lib/loader.\n" +
        "const { requireBundle } = require('./lib/loader');\n" +
        "module.exports = requireBundle(require('node:path').join(__dirname, 'bundle', 'index.js'), module);\n",
      resolveDir: ROOT,
      sourcefile: 'index.js',
      loader: 'js',
    },
    outfile: join(OUT, 'index.js'),
    footer: { js: `// Annotate the CommonJS export names for ESM import in Node:\n0 && (module.exports = { ${names.join(', ')} });\n` },
  });
}

function removeCodeCaches(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) removeCodeCaches(p);
    else if (e.name.endsWith('.v8cache')) rmSync(p);
  }
}

Promise.all([
  build({ ...common, entryPoints: ['lib/index.ts'], outfile: join(OUT, 'bundle', 'index.js') }).then(libraryEntry),
  build({ ...common, entryPoints: ['lib/cli/main.ts'], outfile: join(OUT, 'cli', 'main.js'), plugins: [...(common.plugins ?? []), lazyCommands] }),
  // A command bundle: the command and the CLI's runCli, which lib/cli/main.ts calls.
  ...commands.map((name) =>
    build({
      ...common,
      stdin: {
        contents: `export * from './lib/cli/commands/${name}';\nexport { runCli } from './lib/cli/run';\n`,
        resolveDir: ROOT,
        sourcefile: `command-${name}.ts`,
        loader: 'ts',
      },
      outfile: join(OUT, 'cli', `command-${name}.js`),
      plugins: [...(common.plugins ?? []), lazyCommands, ...(LOADING_COMMANDS.has(name) ? [sharedLibrary] : [])],
    }),
  ),
])
  // The V8 code caches of the bundles just written (scripts/build-code-cache.js).
  // An instrumented build drops the caches of the normal one (they would be refused anyway).
  .then(() => (INSTRUMENT ? removeCodeCaches(OUT) : require('./build-code-cache').buildCodeCaches(OUT)))
  .catch((err) => {
  process.stderr.write(`build-bundles: ${err.message}\n`);
  process.exit(1);
});
