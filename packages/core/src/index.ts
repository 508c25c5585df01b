/**
 * @signet/core: OAuth 1.0a (RFC 5849) primitives, with no runtime dependencies. This is the
 * Node build (the package's `node` condition): the portable API with node:crypto underneath,
 * synchronous and fastest. Other runtimes get portable.ts.
 * @packageDocumentation
 */
// First, so that node:crypto is in place before anything signs.
import './node_crypto.js';

export * from './portable.js';
