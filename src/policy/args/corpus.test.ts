import { describe, expect, it } from 'vitest';
import {
  COMMAND_ATTACKS,
  evaluateCorpus,
  PATH_ATTACKS,
  SQL_ATTACKS,
  URL_ATTACKS,
} from '../../../test/support/arg-corpus.js';

describe('argument corpus', () => {
  it('blocks every attack with its rule and passes every look-alike', async () => {
    const tallies = await evaluateCorpus();
    for (const t of tallies) {
      expect(t.misses).toEqual([]);
      expect(t.blocked).toBe(t.attacks);
      expect(t.passed).toBe(t.benign);
    }
    expect(tallies.map((t) => t.kind)).toEqual(['path', 'url', 'command', 'sql']);
  });

  it('has no duplicate attack strings within a kind', () => {
    for (const table of [PATH_ATTACKS, URL_ATTACKS, COMMAND_ATTACKS, SQL_ATTACKS]) {
      const keys = table.map((c) => JSON.stringify([c.value, c.options]));
      expect(new Set(keys).size).toBe(keys.length);
    }
  });
});
