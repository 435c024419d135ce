/**
 * undici for the judge client, in a module of its own so that client.ts can load it on the first request with a
 * dynamic import (the bundle keeps it in a lazy chunk; a static re-export gives the named exports their CommonJS
 * interop, which a dynamic import of the package itself does not).
 */
export { Pool, request } from 'undici';
