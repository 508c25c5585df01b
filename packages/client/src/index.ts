/**
 * @signet/client: an OAuth 1.0a (RFC 5849) consumer over fetch, with discovery, dynamic
 * registration, the Launchpad flavour, credential stores and the `signet` CLI. This is the
 * Node build of the main entry (the package's `node` condition): the portable API plus the
 * Node-only parts of `@signet/client/node`. Other runtimes get portable.ts.
 * @packageDocumentation
 */
export * from './node.js';
export * from './portable.js';
