// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/**
 * lib/loader: how the package's own bundles are loaded: with the V8 code cache the build
 * put beside them when it is trusted, or by a plain require. Used only by the entry files
 * scripts/build-bundles.js writes (dist/index.js, the CLI's command loaders).
 */
export { CODE_CACHE_SUFFIX, decodeCodeCache, encodeCodeCache, requireBundle, runtimeTag, wrapModuleSource } from './code-cache';
