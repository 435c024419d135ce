/**
 * The corpus of the learned injection detector: every licensed set in ../shared/datasets (see its README) read into
 * one list of documents, each with its source, category, language, phase and split. Used by the trainer
 * (train.ts, `npm run train`) and by `npm run eval`; nothing here ships, and the data is read, never copied.
 *
 * Splits are by id hash, stable across runs: `train` (60%), `calib` (20%: the thresholds are set on its benign part),
 * `test` (20%: the in-distribution figure). Whole attack categories are `heldout`: the shipped model never sees them,
 * and their recall is the honest figure for attacks of a kind it was not shown (HELD_OUT below). Leave-one-source-out
 * goes further: eval.ts trains a model without a whole source and measures that source.
 *
 * Positives built here: BIPIA contexts with one attack instruction inserted (at the start, the end or a random line,
 * as BIPIA does), and TaskTracker lead-ins followed by a task planted into clean documents the same way. Both draw
 * with a seeded PRNG, so that every run builds the same texts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { prng } from './prng.js';
import { structuredSamples } from './structured.js';

export { prng };

export type Where = 'input' | 'output' | 'description';
export type Split = 'train' | 'calib' | 'test' | 'heldout';

export interface Doc {
  id: string;
  text: string;
  label: 0 | 1;
  /** The data set (or the generator) it came from: the unit of leave-one-source-out. */
  source: string;
  /** The attack category (positives) or the kind of text (negatives). */
  category: string;
  lang: string;
  where: Where;
  split: Split;
  /** For a planted positive: the span of the inserted instruction, in `text`. */
  span?: [number, number];
}

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DATA = process.env.SMG_DATASETS ?? path.join(ROOT, '..', 'shared', 'datasets');

/**
 * Attack categories the shipped model never trains on (chosen once, before any training, to span the kinds of
 * attack: a task, a format trick, a code payload, a document type, a technique).
 */
export const HELD_OUT: Record<string, readonly string[]> = {
  bipia: [
    'text/Language Translation',
    'text/Anagramming',
    'text/Persuasion',
    'text/Malware Distribution',
    'text/Learning and Tutoring',
    'code/Memory Scanning',
    'code/Network Propagation',
    'code/Cryptocurrency Mining',
  ],
  'garak-latent': ['LatentInjectionResumeFull', 'LatentWhoisSnippetFull'],
  cyberseceval: ['payload_splitting', 'virtualization', 'many_shot_attack', 'persuasion'],
  tasktracker: ['injection_trigger_test'],
  'garak-jailbreak': ['system_prompt_extraction'],
};

/** FNV-1a of a string, as a fraction in [0, 1). */
export function unitHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return (h >>> 0) / 4294967296;
}

export function rowSplit(id: string): Split {
  const u = unitHash(id);
  return u < 0.6 ? 'train' : u < 0.8 ? 'calib' : 'test';
}

function split(source: string, category: string, id: string): Split {
  return HELD_OUT[source]?.includes(category) ? 'heldout' : rowSplit(id);
}

function readJson(rel: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(DATA, rel), 'utf8'));
}

function readJsonl(rel: string): Record<string, unknown>[] {
  return fs
    .readFileSync(path.join(DATA, rel), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A minimal RFC 4180 reader (quoted fields, doubled quotes, newlines inside quotes). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** Inserts an instruction into a document at the start, the end or a random line; returns the text and its span. */
export function plant(context: string, attack: string, rand: () => number): { text: string; span: [number, number] } {
  const roll = rand();
  if (roll < 1 / 3) return { text: `${attack}\n${context}`, span: [0, attack.length] };
  if (roll < 2 / 3)
    return { text: `${context}\n${attack}`, span: [context.length + 1, context.length + 1 + attack.length] };
  const lines = context.split('\n');
  const at = Math.floor(rand() * (lines.length + 1));
  const before = lines.slice(0, at).join('\n');
  const prefix = at === 0 ? '' : `${before}\n`;
  lines.splice(at, 0, attack);
  return { text: lines.join('\n'), span: [prefix.length, prefix.length + attack.length] };
}

function contextText(row: Record<string, unknown>): string {
  const c = row.context;
  return Array.isArray(c) ? c.join('\n') : String(c);
}

// ---------------------------------------------------------------------------------------------------------------
// Sources

function bipia(seed: number, pairsPerTask: number): Doc[] {
  const rand = prng(seed);
  const flatten = (o: unknown, kind: string): { category: string; text: string; i: number }[] =>
    Object.entries(o as Record<string, string[]>).flatMap(([category, list]) =>
      list.map((text, i) => ({ category: `${kind}/${category}`, text, i })),
    );
  const textAttacks = flatten(readJson('bipia/benchmark/text_attack_train.json'), 'text');
  const codeAttacks = flatten(readJson('bipia/benchmark/code_attack_train.json'), 'code');
  const docs: Doc[] = [];
  for (const task of ['email', 'table', 'code'] as const) {
    const contexts = readJsonl(`bipia/benchmark/${task}/train.jsonl`).map(contextText);
    contexts.forEach((text, i) =>
      docs.push({
        id: `bipia/${task}/${i}`,
        text,
        label: 0,
        source: 'bipia',
        category: `clean/${task}`,
        lang: 'en',
        where: 'output',
        split: rowSplit(`bipia/${task}/${i}`),
      }),
    );
    const attacks = task === 'code' ? codeAttacks : textAttacks;
    for (let k = 0; k < pairsPerTask; k++) {
      const c = Math.floor(rand() * contexts.length);
      const attack = attacks[Math.floor(rand() * attacks.length)]!;
      const { text, span } = plant(contexts[c]!, attack.text, rand);
      // A positive is in the split of its context: no context is seen clean in training and attacked in test.
      const held = HELD_OUT.bipia!.includes(attack.category);
      docs.push({
        id: `bipia/${task}/${c}+${attack.category}#${attack.i}/${k}`,
        text,
        label: 1,
        source: 'bipia',
        category: attack.category,
        lang: 'en',
        where: 'output',
        split: held ? 'heldout' : rowSplit(`bipia/${task}/${c}`),
        span,
      });
    }
  }
  return docs;
}

function garakLatent(): Doc[] {
  return readJsonl('garak/latent_injection.jsonl').map((r, i) => {
    const text = String(r.text);
    const injection = typeof r.injection === 'string' ? r.injection : '';
    const at = injection ? text.indexOf(injection) : -1;
    const category = String(r.probe);
    const id = `garak-latent/${typeof r.context_id === 'string' ? r.context_id : String(i)}/${i}`;
    return {
      id,
      text,
      label: r.label === 1 ? 1 : 0,
      source: 'garak-latent',
      category,
      lang: /Zh/.test(category) ? 'zh' : 'en',
      where: 'output',
      // Documents that share a context stay in one split.
      split: split(
        'garak-latent',
        category,
        `garak-latent/${typeof r.context_id === 'string' ? r.context_id : String(i)}`,
      ),
      ...(at >= 0 ? { span: [at, at + injection.length] as [number, number] } : {}),
    } satisfies Doc;
  });
}

function garakJailbreaks(): Doc[] {
  return readJsonl('garak/jailbreak_prompts.jsonl').map((r, i) => {
    const family = String(r.family);
    const category = family.split(':')[0]!;
    return {
      id: `garak-jailbreak/${i}`,
      text: String(r.text),
      label: r.label === 1 ? 1 : 0,
      source: r.label === 1 ? 'garak-jailbreak' : 'garak-benign-prompts',
      category,
      lang: 'en',
      where: 'input',
      split: split('garak-jailbreak', category, `garak-jailbreak/${i}`),
    } satisfies Doc;
  });
}

function cyberSecEval(): Doc[] {
  const rows = readJson('cyberseceval-prompt-injection/prompt_injection.json') as {
    user_input: string;
    injection_variant: string;
  }[];
  return rows.map((r, i) => ({
    id: `cyberseceval/${i}`,
    text: r.user_input,
    label: 1,
    source: 'cyberseceval',
    category: r.injection_variant,
    lang: 'en',
    where: 'input',
    split: split('cyberseceval', r.injection_variant, `cyberseceval/${i}`),
  }));
}

/** TaskTracker: lead-ins alone are direct positives; a lead-in and a task planted into a clean document is indirect. */
function taskTracker(seed: number, contexts: Doc[], planted: number): Doc[] {
  const rows = readJsonl('tasktracker/injection_parts.jsonl');
  const docs: Doc[] = [];
  const tasks: { text: string; lang: string }[] = [];
  const triggers: { text: string; role: string; i: number }[] = [];
  rows.forEach((r, i) => {
    const role = String(r.role);
    const text = String(r.text);
    const lang = String(r.lang);
    if (r.label_standalone === 1) {
      docs.push({
        id: `tasktracker/${i}`,
        text,
        label: 1,
        source: 'tasktracker',
        category: role,
        lang,
        where: 'input',
        split: split('tasktracker', role, `tasktracker/${i}`),
      });
      if (role.startsWith('injection_trigger')) triggers.push({ text, role, i });
    } else {
      tasks.push({ text, lang });
      docs.push({
        id: `tasktracker/${i}`,
        text,
        label: 0,
        source: 'tasktracker-tasks',
        category: role,
        lang,
        where: 'input',
        split: rowSplit(`tasktracker/${i}`),
      });
    }
  });
  const rand = prng(seed ^ 0x7a5c);
  const clean = contexts.filter((d) => d.label === 0 && d.where === 'output');
  for (let k = 0; k < planted; k++) {
    const ctx = clean[Math.floor(rand() * clean.length)]!;
    const trigger = triggers[Math.floor(rand() * triggers.length)]!;
    const task = tasks[Math.floor(rand() * tasks.length)]!;
    const { text, span } = plant(ctx.text, `${trigger.text} ${task.text}`, rand);
    const held = HELD_OUT.tasktracker!.includes(trigger.role);
    docs.push({
      id: `tasktracker-planted/${k}`,
      text,
      label: 1,
      source: 'tasktracker-planted',
      category: trigger.role,
      lang: task.lang,
      where: 'output',
      // Split with its context and its lead-in, so neither is seen in training and tested here.
      split: held ? 'heldout' : ctx.split === 'train' ? rowSplit(`tasktracker/${trigger.i}`) : ctx.split,
      span,
    });
  }
  return docs;
}

const XSAFETY_NEGATIVE = new Set([
  'commonsense',
  'Crimes_And_Illegal_Activities',
  'Ethics_And_Morality',
  'Insult',
  'Mental_Health',
  'Physical_Harm',
  'Privacy_And_Property',
  'Unfairness_And_Discrimination',
  'Inquiry_With_Unsafe_Opinion',
  'Unsafe_Instruction_Topic',
]);

/**
 * XSafety: Goal_Hijacking rows ("question + ignore it and output X", ten languages, aligned) are positives; harmful
 * requests and common sense are negatives (harmful is not injection). Prompt_Leaking and Role_Play_Instruction are
 * left out: many of their rows only ask about prompts or set a harmless role. Aligned rows share a split, so a
 * translation of a training row is never a test row.
 */
function xsafety(): Doc[] {
  const docs: Doc[] = [];
  for (const r of readJsonl('xsafety/xsafety.jsonl')) {
    const category = String(r.category);
    const positive = category === 'Goal_Hijacking';
    if (!positive && !XSAFETY_NEGATIVE.has(category)) continue;
    const row = `xsafety/${category}/${String(r.row)}`;
    docs.push({
      id: `${row}/${String(r.lang)}`,
      text: String(r.text),
      label: positive ? 1 : 0,
      source: positive ? 'xsafety-goal-hijacking' : 'xsafety-harmful',
      category,
      lang: String(r.lang),
      where: 'input',
      split: rowSplit(row),
    });
  }
  return docs;
}

function benignInputs(): Doc[] {
  const docs: Doc[] = [];
  const add = (source: string, text: string, i: number, lang = 'en', category = source): void => {
    docs.push({
      id: `${source}/${i}`,
      text,
      label: 0,
      source,
      category,
      lang,
      where: 'input',
      split: rowSplit(`${source}/${i}`),
    });
  };
  ['NotInject_one.json', 'NotInject_two.json'].forEach((f, k) =>
    (readJson(`injecguard/${f}`) as { prompt: string }[]).forEach((r, i) => add('notinject', r.prompt, k * 10000 + i)),
  );
  (readJson('injecguard/wildguard.json') as { prompt: string; label: number }[]).forEach((r, i) => {
    if (r.label === 0) add('wildguard', r.prompt, i);
  });
  parseCsv(fs.readFileSync(path.join(DATA, 'xstest/xstest_prompts.csv'), 'utf8'))
    .slice(1)
    .forEach((r, i) => {
      if (r[3] === 'safe') add('xstest', r[1]!, i);
    });
  for (const r of readJsonl('mgsm/mgsm_questions.jsonl')) {
    add(
      'mgsm',
      String(r.text),
      Number(r.row) * 100 + ['en', 'es', 'fr', 'de', 'ru', 'zh', 'ja', 'th', 'sw', 'bn', 'te'].indexOf(String(r.lang)),
      String(r.lang),
    );
  }
  const jail = parseCsv(fs.readFileSync(path.join(DATA, 'multijail/MultiJail.csv'), 'utf8'));
  const header = jail[0]!;
  jail.slice(1).forEach((r, i) => {
    for (let c = 3; c < header.length; c++) if (r[c]) add('multijail', r[c]!, i * 100 + c, header[c]);
  });
  return docs;
}

function benignOutputs(): Doc[] {
  const docs: Doc[] = [];
  // The licences and conversion notes that come with the sets: legal text and technical prose, as a file-reading
  // tool returns them.
  for (const folder of fs.readdirSync(DATA).sort()) {
    for (const name of ['LICENSE', 'CONVERTED.md']) {
      const file = path.join(DATA, folder, name);
      if (!fs.existsSync(file)) continue;
      const id = `dataset-docs/${folder}/${name}`;
      docs.push({
        id,
        text: fs.readFileSync(file, 'utf8'),
        label: 0,
        source: 'dataset-docs',
        category: name,
        lang: 'en',
        where: 'output',
        split: rowSplit(id),
      });
    }
  }
  // Presidio's synthetic sentences, six to a paragraph: ordinary prose full of names, addresses and numbers, as a
  // CRM or mail tool returns it.
  const sentences = (readJson('presidio-synth/synth_dataset_v2.json') as { full_text: string }[]).map(
    (r) => r.full_text,
  );
  for (let i = 0; i < sentences.length; i += 6) {
    const id = `presidio/${i}`;
    docs.push({
      id,
      text: sentences.slice(i, i + 6).join('\n'),
      label: 0,
      source: 'presidio-prose',
      category: 'prose',
      lang: 'en',
      where: 'output',
      split: rowSplit(id),
    });
  }
  for (const file of ['garak/docs_code_benign.jsonl', 'github-mcp-server/docs_code_benign.jsonl']) {
    const source = file.startsWith('garak') ? 'garak-docs' : 'github-docs';
    readJsonl(file).forEach((r, i) =>
      docs.push({
        id: `${source}/${i}`,
        text: String(r.text),
        label: 0,
        source,
        category: String(r.kind),
        lang: 'en',
        where: 'output',
        split: rowSplit(`${source}/${i}`),
      }),
    );
  }
  return docs;
}

/** Every text of a tool definition that the model reads as a description: name, description, schema strings. */
export function toolTexts(tool: Record<string, unknown>): string[] {
  const out: string[] = [];
  const visit = (v: unknown, depth: number): void => {
    if (depth > 32) return;
    if (typeof v === 'string') {
      if (v.trim() !== '') out.push(v);
    } else if (Array.isArray(v)) for (const x of v) visit(x, depth + 1);
    else if (v && typeof v === 'object') for (const x of Object.values(v)) visit(x, depth + 1);
  };
  if (typeof tool.description === 'string') out.push(tool.description);
  visit(tool.inputSchema, 0);
  visit(tool.annotations, 0);
  return out;
}

/** Tool definitions: one document per tool (its texts joined by line breaks), positives where the set labels them. */
function tools(): Doc[] {
  const docs: Doc[] = [];
  const sets: [string, string][] = [
    ['mcp-tools-livemcpbench/tools.jsonl', 'livemcpbench-tools'],
    ['github-mcp-server/tools.jsonl', 'github-tools'],
    ['enkrypt-bad-mcps/tools.jsonl', 'enkrypt-tools'],
    ['mcp-scanner-evals/tools.jsonl', 'mcp-scanner-tools'],
  ];
  for (const [file, source] of sets) {
    readJsonl(file).forEach((r, i) => {
      const label = r.description_label === 1 ? 1 : 0;
      const text = toolTexts(r).join('\n');
      if (text === '') return;
      docs.push({
        id: `${source}/${i}`,
        text,
        label,
        source,
        category: label ? (typeof r.description_attack === 'string' ? r.description_attack : 'poisoned') : 'tool',
        lang: /[\u4e00-\u9fff]/.test(text) ? 'zh' : 'en',
        where: 'description',
        split: rowSplit(`${source}/${i}`),
      });
    });
  }
  // Tool outputs that carry instructions (enkrypt's test servers).
  readJsonl('enkrypt-bad-mcps/tools.jsonl').forEach((r, i) => {
    if (r.output_label !== 1 || !Array.isArray(r.output_texts)) return;
    (r.output_texts as unknown[]).forEach((t, k) =>
      docs.push({
        id: `enkrypt-outputs/${i}/${k}`,
        text: String(t),
        label: 1,
        source: 'enkrypt-outputs',
        category: String(r.server),
        lang: 'en',
        where: 'output',
        split: rowSplit(`enkrypt-outputs/${i}/${k}`),
      }),
    );
  });
  return docs;
}

export interface CorpusOptions {
  seed?: number;
  /** Planted BIPIA positives per task (email, table, code). */
  pairsPerTask?: number;
  /** Planted TaskTracker positives. */
  planted?: number;
}

export async function loadCorpus(opts: CorpusOptions = {}): Promise<Doc[]> {
  if (!fs.existsSync(DATA)) throw new Error(`the datasets are missing; expected them in ${DATA}`);
  const seed = opts.seed ?? 20240611;
  const bipiaDocs = bipia(seed, opts.pairsPerTask ?? 800);
  const outputs = benignOutputs();
  const docs = [
    ...bipiaDocs,
    ...garakLatent(),
    ...garakJailbreaks(),
    ...cyberSecEval(),
    ...xsafety(),
    ...benignInputs(),
    ...outputs,
    ...tools(),
  ];
  docs.push(...taskTracker(seed, [...bipiaDocs, ...outputs], opts.planted ?? 1200));
  // Documents are tool arguments too (a file to write, a message to send): the benign ones are negatives there.
  for (const d of outputs) docs.push({ ...d, id: `${d.id}#input`, where: 'input' });
  structuredSamples(seed).forEach((s, i) => {
    const id = `structured/${i}`;
    const where: Where = (['input', 'output', 'description'] as const)[i % 3]!;
    docs.push({
      id,
      text: s.text,
      label: 0,
      source: 'structured',
      category: s.kind,
      lang: 'en',
      where,
      split: rowSplit(id),
    });
  });
  docs.push(...(await synthetic(seed)));
  return docs;
}

/** The hand-written multilingual generator (synthetic.ts); whole template families are held out. */
async function synthetic(seed: number): Promise<Doc[]> {
  const file = path.join(ROOT, 'bench', 'train', 'synthetic.ts');
  if (!fs.existsSync(file)) return [];
  const mod = (await import(pathToFileURL(file).href)) as {
    syntheticSamples(seed: number): { text: string; label: 0 | 1; lang: string; family: string; where: Where }[];
  };
  return mod.syntheticSamples(seed).map((s, i) => ({
    id: `synthetic/${s.family}/${i}`,
    text: s.text,
    label: s.label,
    source: s.where === 'output' ? 'synthetic-output' : 'synthetic-input',
    category: s.family,
    lang: s.lang,
    where: s.where,
    split: unitHash(`family/${s.family}`) < 0.25 ? 'heldout' : rowSplit(`synthetic/${s.family}/${i}`),
  }));
}
