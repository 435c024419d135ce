/**
 * Which clients are on this machine, and what their config files hold (issue 8). A client is detected when one
 * of its config files exists or its own folder does (Cursor installed, no MCP server yet). Project-scope files are
 * read only when they exist.
 *
 * Failure mode: a client file that does not parse is returned with its error and no servers, so that `scan` and
 * `doctor` report it and carry on; `install` refuses to touch it.
 */
import fs from 'node:fs';
import { clientCatalog, type CatalogOptions, type ClientInfo } from './catalog.js';
import { readClientFile, type ReadClientFile } from './client-file.js';

export interface DetectedClient {
  client: ClientInfo;
  installed: boolean;
  files: (ReadClientFile | { file: ReadClientFile['file']; client: ClientInfo; error: string })[];
}

export function detectClients(opts: CatalogOptions = {}): DetectedClient[] {
  return clientCatalog(opts).map((client) => {
    const files: DetectedClient['files'] = [];
    for (const file of client.files) {
      if (!fs.existsSync(file.path)) continue;
      try {
        files.push(readClientFile(client, file));
      } catch (error) {
        files.push({ file, client, error: (error as Error).message });
      }
    }
    const installed = files.length > 0 || client.markers.some((m) => fs.existsSync(m));
    return { client, installed, files };
  });
}

export function isReadable(f: DetectedClient['files'][number]): f is ReadClientFile {
  return !('error' in f);
}
