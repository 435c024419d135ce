/**
 * The little of `oidc-provider` (a devDependency, tests only; it ships no types) that the tests use: construct a
 * provider for an issuer with a configuration object, and mount its request listener on a node:http server.
 */
declare module 'oidc-provider' {
  import type { RequestListener } from 'node:http';

  export default class Provider {
    constructor(issuer: string, configuration?: Record<string, unknown>);
    readonly issuer: string;
    callback(): RequestListener;
  }
}
