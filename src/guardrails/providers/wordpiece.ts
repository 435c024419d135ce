/**
 * BERT's WordPiece tokenizer, for the local model provider (onnx.ts): the BasicTokenizer (clean the text, space
 * out CJK ideographs, lower-case and strip accents for "uncased" models, split on whitespace and punctuation)
 * followed by greedy longest-match-first WordPiece over a vocab.txt, as in google-research/bert's tokenization.py
 * and Hugging Face's BertTokenizer. Ids are line numbers of vocab.txt. It reads nothing but the vocab it is given,
 * and a word it cannot split becomes [UNK], never an error.
 */

/** Longer words are [UNK] without trying, as in BERT (max_input_chars_per_word). */
const MAX_WORD_CHARS = 100;

export interface WordPieceVocab {
  ids: ReadonlyMap<string, number>;
  cls: number;
  sep: number;
  unk: number;
  pad: number;
}

/** Parses vocab.txt (one token per line; the line number is the id). Throws when a special token is missing. */
export function parseVocab(text: string): WordPieceVocab {
  const ids = new Map<string, number>();
  const lines = text.split('\n');
  // A trailing newline leaves one empty last line, which is no token.
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((line, i) => {
    const token = line.replace(/\r$/, '');
    if (!ids.has(token)) ids.set(token, i);
  });
  const special = (token: string): number => {
    const id = ids.get(token);
    if (id === undefined) throw new Error(`the vocab has no ${token} token`);
    return id;
  };
  return { ids, cls: special('[CLS]'), sep: special('[SEP]'), unk: special('[UNK]'), pad: special('[PAD]') };
}

function isControl(ch: string): boolean {
  if (ch === '\t' || ch === '\n' || ch === '\r') return false;
  return /[\p{Cc}\p{Cf}]/u.test(ch);
}

/** BERT counts every non-letter, non-digit ASCII symbol as punctuation (`$`, `^`, `` ` ``), plus Unicode P*. */
function isPunctuation(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126))
    return true;
  return /\p{P}/u.test(ch);
}

/** The CJK Unified Ideographs blocks of BERT's _is_chinese_char (not Hangul or kana, which are split by space). */
function isCjk(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** The BasicTokenizer: words and punctuation marks, in order. */
export function* basicTokens(text: string, lowercase: boolean): Generator<string> {
  let word = '';
  function* flush(): Generator<string> {
    if (word === '') return;
    let w = word;
    word = '';
    if (lowercase)
      w = w
        .toLowerCase()
        .normalize('NFD')
        .replace(/\p{Mn}/gu, '');
    let piece = '';
    for (const ch of w) {
      if (isPunctuation(ch)) {
        if (piece !== '') yield piece;
        piece = '';
        yield ch;
      } else piece += ch;
    }
    if (piece !== '') yield piece;
  }
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0 || cp === 0xfffd || isControl(ch)) continue;
    if (/\s/u.test(ch)) yield* flush();
    else if (isCjk(cp)) {
      yield* flush();
      yield ch;
    } else word += ch;
  }
  yield* flush();
}

/** Greedy longest-match-first; continuation pieces carry "##". A word with an unmatchable rest is one [UNK]. */
export function wordPieces(word: string, vocab: WordPieceVocab): number[] {
  const chars = [...word];
  if (chars.length > MAX_WORD_CHARS) return [vocab.unk];
  const out: number[] = [];
  for (let start = 0; start < chars.length;) {
    let end = chars.length;
    let found: number | undefined;
    while (start < end) {
      const piece = (start > 0 ? '##' : '') + chars.slice(start, end).join('');
      found = vocab.ids.get(piece);
      if (found !== undefined) break;
      end--;
    }
    if (found === undefined) return [vocab.unk];
    out.push(found);
    start = end;
  }
  return out;
}

/** Token ids of a text, without [CLS] and [SEP]; stops after `limit` ids, so a huge text costs only what is used. */
export function encodeWordPiece(text: string, vocab: WordPieceVocab, lowercase: boolean, limit = Infinity): number[] {
  const ids: number[] = [];
  for (const word of basicTokens(text, lowercase)) {
    for (const id of wordPieces(word, vocab)) {
      if (ids.length >= limit) return ids;
      ids.push(id);
    }
  }
  return ids;
}
