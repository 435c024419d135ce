/**
 * Reads an undici response body as UTF-8 text, up to a size limit: a remote guardrail provider or judge endpoint
 * that answers with more than `maxBytes` is cut off (the body destroyed) and `tooLarge()` is thrown, so a hostile or
 * broken endpoint cannot fill the gateway's memory.
 */
import type { Dispatcher } from 'undici';

export async function readBodyText(
  body: Dispatcher.ResponseData['body'],
  maxBytes: number,
  tooLarge: () => Error,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      body.destroy();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
