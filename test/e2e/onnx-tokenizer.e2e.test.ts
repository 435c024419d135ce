/**
 * A local model exported the standard way (a folder with model.onnx, tokenizer.json, tokenizer_config.json and
 * config.json, as optimum writes for DeBERTa-v3 models such as Llama Prompt Guard 2) through the BUILT gateway:
 * the config names only the folder. The tiny test model flags only the Unigram piece "▁ignore", which exists only
 * if the text went through the library's tokenizer. A corrupt tokenizer.json blocks every result (fail closed).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureServer, nonJsonRpcLines, recorded, startGateway, tempDir, textOf } from '../helpers/gateway.js';
import { tokenModel, unigramTokenizer, writeExport } from '../support/onnx-test-model.js';

const WORDS = ['ignore', 'all', 'previous', 'instructions', 'echo', 'the', 'weather', 'is', 'nice'];

function config(record: string) {
  return {
    servers: { t: { ...fixtureServer('tricky-server.ts'), env: { RECORD_FILE: record } } },
    providers: { guard: { type: 'onnx', model: 'models/prompt-guard', unsafeLabel: 'MALICIOUS', threshold: 0.9 } },
    policies: {
      default: {
        // The built-in detectors are off, so only the model can block.
        input: { injection: 'off' },
        output: { injection: 'off' },
        providers: { output: ['guard'] },
      },
    },
  };
}

function exportModel(home: string): string {
  const tok = unigramTokenizer(WORDS);
  return writeExport(
    path.join(home, 'models', 'prompt-guard'),
    tok,
    tokenModel({ vocab: tok.vocab, unsafe: ['▁ignore'] }),
    ['BENIGN', 'MALICIOUS'],
  );
}

describe('a tokenizer.json model folder as a guardrail provider', () => {
  it('blocks an injected tool result, passes a clean one, and keeps stdout pure JSON-RPC', async () => {
    const home = tempDir();
    const rec = path.join(home, 'rec.jsonl');
    exportModel(home);
    const gw = await startGateway(config(rec), { home });
    const page = await gw.client.callTool({ name: 't__fetch_page', arguments: {} });
    expect(page.isError).toBe(true);
    expect(textOf(page)).toMatch(/^blocked by output guardrail guard\.malicious: /);
    expect(textOf(page)).not.toContain('id_rsa');
    // The same result again (from the provider's cache) is blocked the same way.
    const again = await gw.client.callTool({ name: 't__fetch_page', arguments: {} });
    expect(textOf(again)).toBe(textOf(page));
    const ok = await gw.client.callTool({ name: 't__echo', arguments: { text: 'the weather is nice' } });
    expect(ok.isError).toBeFalsy();
    expect(textOf(ok)).toBe('echo: the weather is nice');
    expect(recorded(rec).map((r) => r.tool)).toEqual(['fetch_page', 'fetch_page', 'echo']);
    expect(nonJsonRpcLines(gw.stdoutLines)).toEqual([]);
    expect((await gw.closeStdin()).code).toBe(0);
  });

  it('blocks every result while the tokenizer.json is corrupt, naming the provider and the file', async () => {
    const home = tempDir();
    const dir = exportModel(home);
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), '{"model": {"type": "Unigram", "vocab": "oops"}}');
    const gw = await startGateway(config(path.join(home, 'rec.jsonl')), { home });
    const ok = await gw.client.callTool({ name: 't__echo', arguments: { text: 'the weather is nice' } });
    expect(ok.isError).toBe(true);
    expect(textOf(ok)).toMatch(
      /^blocked by output guardrail guardrails\.failed: .*guardrail provider "guard" failed: .*prompt-guard\/tokenizer\.json: at model\.vocab: expected an array of \[piece, score\] pairs/,
    );
    expect(nonJsonRpcLines(gw.stdoutLines)).toEqual([]);
    expect((await gw.closeStdin()).code).toBe(0);
  });
});
