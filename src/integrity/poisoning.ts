/**
 * The description and schema poisoning scanner (issue 5, scope 5): reads every text of a tool that reaches the model
 * and reports what instructs, hides or fishes. It runs on a tool list (at start-up, on each refresh, in `scan`), not
 * on calls. Pure and synchronous; a throw is the caller's to treat as a block (fail closed).
 *
 * What it reads: every field of the definition the gateway relays (hash.ts TOOL_FIELDS, PROMPT_FIELDS,
 * RESOURCE_TEMPLATE_FIELDS, held against the SDK's schemas by hash.test.ts): the name, the title, the description,
 * and every string anywhere in the other fields, keys included: `inputSchema` and `outputSchema` (descriptions,
 * titles, defaults, enum values, examples, property names), `annotations`, `icons`, `execution` and `_meta` (issue
 * 15, class 2: a tool's `_meta` reached the client unscanned). Prompts: their arguments and `_meta` too; resource
 * templates: their annotations and `_meta` too.
 *
 * Failure mode: a definition nested deeper than MAX_DEPTH cannot be read whole; rather than skip what is below, the
 * scan reports `poisoning.unscannable` (critical), and the gate blocks the tool whatever the poisoning action.
 *
 * Rules (see docs/integrity.md for the table):
 * - `poisoning.injection`: the injection detector's 'description' profile (guardrails/injection.ts) on each text;
 *   critical when the instruction also reaches for data (a sensitive file, exfiltration, a parameter to smuggle it
 *   in) or hides itself (from the user, or in invisible characters), high otherwise.
 * - `poisoning.hidden-unicode`: zero-width, bidi-control and tag characters (the set normalize() removes), except
 *   where writing systems need them: ZWJ/ZWNJ between two non-ASCII characters (emoji sequences, Indic and Persian
 *   scripts), marks and isolates in text with right-to-left script, a leading BOM, and the tag sequence of a
 *   subdivision flag. Bidi overrides (U+202D, U+202E) are never excused.
 * - `poisoning.long-description`: a text longer than the thresholds (2000 characters medium, 8000 high).
 * - `poisoning.sensitive-parameter`: an input property whose name or description asks for secrets or for the
 *   conversation, on a tool whose name, title and first sentence do not say it needs them: high when the description
 *   asks for the contents of a key file or wallet, or for the conversation; medium for a name (`api_key`, `sidenote`)
 *   or for "your API key". Conservative on purpose: a `password` on a login tool, an integer `context`, `max_tokens`
 *   or a `page_token` are left alone.
 * - `poisoning.shadowing`: a text that tells the model to always copy, forward or redirect something to a fixed
 *   address ("always BCC audit@..."), the usual payload of a shadowing attack, found without knowing the other servers.
 * - `poisoning.preference-manipulation`: a text that tries to decide the model's choice of tool rather than describe
 *   the tool: use this one instead of any other, never use the others, the others are deprecated or unsafe, choose
 *   this for every request (found missing by the attack scoreboard). Ordinary advice about inputs ("prefer ISO 8601
 *   input", "use it instead of a manual review") is not a choice between tools and does not match.
 * - `poisoning.cross-server-reference`: a text that names a tool of another server (distinctive names only, or any
 *   name written as code); high when it also instructs (shadowing: "when you call send_email, always bcc ...").
 * - `poisoning.name-collision`, `poisoning.typosquat`: a tool name equal to, or within a small edit distance of,
 *   another server's after case, Unicode compatibility and homoglyph folding.
 * - `poisoning.name-characters`: a tool name outside the characters tool names use, or mixing scripts.
 * Structural rules (issue 16, item 5), by class of attack rather than by phrase, in en es fr de pt it ru zh ja ko ar:
 * - `poisoning.secret-file` (critical): a key or credentials file (~/.ssh, id_rsa, .env, ~/.aws/credentials, ...)
 *   near a verb that reads or hands it over, on a tool whose purpose is not keys.
 * - `poisoning.conceal` (critical): telling the model to keep something from the user (the English is the injection
 *   detector's). Not telling is the sign; not *showing* ("hidden files are not shown to the user") is UI.
 * - `poisoning.authority-claim` (high): a fake system or admin label ("### SYSTEM INSTRUCTION ###", "[METADATA
 *   DIRECTIVE]:", "ACT AS:"), an order to switch protections off, or an annotation outside the spec that claims trust.
 * - `poisoning.shadowing` also for rules about other tools without their names ("overrides the behaviour of the slack
 *   tools", "every message posted must include ...") and for fixed-address copies in other languages.
 * - `poisoning.preference-manipulation` also for advertising against the other tools (two markers or more) and for
 *   "never use the other tools" in other languages.
 * - Cross-server references also by the exposed or qualified name (`mail__send_email`, `mail.send_email`). A
 *   workflow hint that names only this server's own tools ("before using this tool, call describe_table") is medium.
 * - A typosquat by a dropped, doubled or swapped letter is high; one letter for another, a plural, a digit, medium.
 */
import { createInjectionDetector } from '../guardrails/injection.js';
import { isBidi, isTag, isZeroWidth, normalize } from '../guardrails/normalize.js';
import type { Detector } from '../guardrails/types.js';
import { editDistance } from '../util/edit-distance.js';
import { escapeRegExp } from '../util/regexp.js';
import { visible } from './diff.js';
import type { Finding, Severity } from './findings.js';
import {
  PROMPT_FIELDS,
  RESOURCE_TEMPLATE_FIELDS,
  TOOL_FIELDS,
  type PromptLike,
  type ResourceTemplateLike,
  type ToolLike,
} from './hash.js';

/** Moved to util/ (the CLI's "did you mean" uses it too); still exported here for the scanner's own tests. */
export { editDistance };

/** How deep a definition is walked; deeper is `poisoning.unscannable`. JSON Schemas in the wild stay far below. */
export const MAX_DEPTH = 64;

/** The finding of a definition the scan could not read whole: the gate blocks on it whatever the action. */
export const UNSCANNABLE = 'poisoning.unscannable';

export interface PoisoningOptions {
  /** The injection detector; default createInjectionDetector(). */
  detector?: Detector;
  /** Text length (characters) from which a description is medium, and high. Default 2000 and 8000. */
  longDescription?: { medium?: number; high?: number };
}

export interface OtherServer {
  server: string;
  tools: readonly string[];
}

/** Read-only: what is derived from a context (the other servers' names, folded; a matcher) is kept per object. */
export interface ScanContext {
  /** The server being scanned, recorded in each finding. */
  server?: string;
  /** The tools of the other configured servers, for cross-server references, collisions and typosquatting. */
  others?: readonly OtherServer[];
  /** The names of this server's own tools (a reference to one of them is not cross-server). Default: none. */
  own?: readonly string[];
}

export interface PoisoningFinding extends Finding {
  tool: string;
  kind: 'tool' | 'prompt' | 'resourceTemplate';
}

export interface PoisoningScanner {
  scanTool(tool: ToolLike, ctx?: ScanContext): PoisoningFinding[];
  /** Every tool of one server; `ctx.own` defaults to their names. */
  scanTools(tools: readonly ToolLike[], ctx?: ScanContext): PoisoningFinding[];
  scanPrompt(prompt: PromptLike, ctx?: ScanContext): PoisoningFinding[];
  scanResourceTemplate(template: ResourceTemplateLike, ctx?: ScanContext): PoisoningFinding[];
}

const REMEDIATION = {
  injection:
    'Do not expose this tool. Its text gives the model instructions; if the server is yours, remove them, otherwise ' +
    'report the server to its publisher and keep it blocked.',
  hidden:
    'Remove the invisible characters (`tools diff` shows them escaped); text a person cannot see has no place in a ' +
    'tool definition.',
  long: 'Read the whole text before approving the tool: a description should say what the tool does, not how the model should behave.',
  sensitive:
    'Check that the tool needs this value; if it does not, deny the tool or the argument. Never pass credentials or ' +
    'the conversation to a tool that has no use for them.',
  preference:
    'Deny this tool: its text tries to steer which tools the model uses, which is how a server crowds out the tools ' +
    'you chose. A description should say what the tool does.',
  shadowing:
    'Deny this tool: its text tells the model to send copies of messages or data to an address the user did not choose.',
  crossServer:
    "A tool has no business telling the model how to use another server's tools: deny this tool, or keep the two " +
    'servers apart (different projects).',
  collision:
    'Make sure the model cannot confuse the two tools: deny or rename one of them (the gateway exposes them as ' +
    '<server>__<tool>, but the model reads the descriptions).',
  typosquat: 'Check which server is the genuine one and deny the look-alike tool.',
  unscannable:
    'Do not expose this tool: its definition is nested too deeply to be read whole, and what cannot be read cannot ' +
    'be trusted. If the server is yours, flatten it.',
  nameChars:
    'Tool names should use ASCII letters, digits, "_", "-", "." and "/" only; deny a tool whose name imitates another script.',
} as const;

/** Injection rules that mean the instruction reaches for data or hides itself: critical rather than high. */
const GRAVE_RULES = new Set([
  'injection.sensitive-file',
  'injection.exfiltration',
  'injection.param-exfiltration',
  'injection.secret-request',
  'injection.conceal-from-user',
  'injection.hidden-text',
]);

export function createPoisoningScanner(opts: PoisoningOptions = {}): PoisoningScanner {
  const detector = opts.detector ?? createInjectionDetector();
  const longMedium = opts.longDescription?.medium ?? 2000;
  const longHigh = opts.longDescription?.high ?? 8000;

  function scan(
    kind: PoisoningFinding['kind'],
    name: string,
    /** What the definition says it is for (purposeOf): a tool about keys may name key files. */
    purpose: string,
    texts: Located[],
    ctx: ScanContext,
    extra: (add: Add) => void,
  ): PoisoningFinding[] {
    const out: PoisoningFinding[] = [];
    const add: Add = (ruleId, severity, where, message, remediation, excerpt) => {
      out.push({
        ruleId,
        severity,
        ...(ctx.server === undefined ? {} : { server: ctx.server }),
        tool: name,
        kind,
        where,
        message,
        remediation,
        ...(excerpt === undefined ? {} : { excerpt }),
      });
    };
    const refs = prepare(ctx).refs;
    const secretsNeeded = SECRET_PURPOSE.test(purpose);
    for (const t of texts) {
      if (t.role === 'too-deep') {
        add(
          UNSCANNABLE,
          'critical',
          t.where,
          `${t.where} is nested more than ${MAX_DEPTH} levels deep; what is below was not read`,
          REMEDIATION.unscannable,
        );
        continue;
      }
      const what = t.key ? `the key at ${t.where}` : t.where;
      const hidden = hiddenCharacters(t.text);
      // A property name written as a sentence ("ignore_all_previous_instructions_and_...") is read as one too.
      const spoken = t.key ? spokenKey(t.text) : undefined;
      const detections = detector.scan(spoken ?? t.text, 'description');
      const named = refs === undefined || t.key || t.role === 'name' ? [] : refs(t.text).filter((r) => r.name !== name);
      if (detections.length > 0) {
        const rules = [...new Set(detections.map((d) => d.rule))];
        const grave = hidden.count > 0 || rules.some((r) => GRAVE_RULES.has(r));
        // "Before using this tool, call describe_table", "replaces the deprecated get_weather_v1": a workflow hint
        // about the server's own tools is not shadowing; reported, not blocked. Naming another server's tool, or
        // anything graver, keeps it high.
        const ownWorkflow =
          !grave && named.length === 0 && rules.every((r) => WORKFLOW_RULES.has(r)) && namesOwnTool(t.text, ctx, name);
        add(
          'poisoning.injection',
          grave ? 'critical' : ownWorkflow ? 'medium' : 'high',
          t.where,
          `${what} gives the model instructions (${rules.join(', ')})`,
          REMEDIATION.injection,
          excerptOf(detections[0]!.excerpt),
        );
      }
      if (hidden.count > 0) {
        const severity: Severity = hidden.tags > 0 || t.role === 'name' ? 'critical' : 'high';
        add(
          'poisoning.hidden-unicode',
          severity,
          t.where,
          `${what} contains ${hidden.describe()}`,
          REMEDIATION.hidden,
          excerptOf(t.text, hidden.first),
        );
      }
      if (!t.key && t.role !== 'name' && t.text.length > longMedium) {
        add(
          'poisoning.long-description',
          t.text.length > longHigh ? 'high' : 'medium',
          t.where,
          `${what} is ${t.text.length} characters long (more than ${t.text.length > longHigh ? longHigh : longMedium})`,
          REMEDIATION.long,
        );
      }
      const redirect = t.key ? null : REDIRECT.exec(t.text);
      if (redirect !== null) {
        add(
          'poisoning.shadowing',
          'high',
          t.where,
          `${what} tells the model to copy or redirect messages to a fixed address`,
          REMEDIATION.shadowing,
          excerptOf(t.text, redirect.index),
        );
      }
      const pushes = t.key || t.role === 'name' ? undefined : PREFERENCE.map((re) => re.exec(t.text)).find((m) => m);
      if (pushes) {
        add(
          'poisoning.preference-manipulation',
          'high',
          t.where,
          `${what} tries to steer the model's choice of tools`,
          REMEDIATION.preference,
          excerptOf(t.text, pushes.index),
        );
      }
      if (t.role !== 'name')
        for (const f of structural(t.text, t.key, t.where, secretsNeeded)) {
          if (f.covers !== undefined && detections.some((d) => d.rule === f.covers)) continue;
          add(f.ruleId, f.severity, t.where, `${what} ${f.message}`, REMEDIATION[f.remedy], excerptOf(t.text, f.index));
        }
      if (refs !== undefined && t.role !== 'name' && !t.key) {
        for (const ref of named) {
          const near = around(t.text, ref.index, ref.name.length);
          const instructs = detections.length > 0 || SHADOW_WORDS.test(near) || SHADOW_WORDS_ML.test(near);
          add(
            'poisoning.cross-server-reference',
            instructs ? 'high' : 'medium',
            t.where,
            `${what} names the tool "${ref.name}" of server "${ref.server}"${instructs ? ' and tells the model what to do with it' : ''}`,
            REMEDIATION.crossServer,
            excerptOf(t.text, ref.index),
          );
        }
      }
    }
    extra(add);
    return out;
  }

  function scanTool(tool: ToolLike, ctx: ScanContext = {}): PoisoningFinding[] {
    const texts = definitionTexts(tool, TOOL_FIELDS);
    return scan('tool', tool.name, purposeOf(tool), texts, ctx, (add) => {
      sensitiveParameters(tool, add);
      nameChecks(tool.name, ctx, add);
    });
  }

  return {
    scanTool,
    scanTools(tools, ctx = {}) {
      // One context object for the whole list, so that what is prepared from it is prepared once.
      const shared = { ...ctx, own: ctx.own ?? tools.map((t) => t.name) };
      return tools.flatMap((t) => scanTool(t, shared));
    },
    scanPrompt(prompt, ctx = {}) {
      const texts = definitionTexts(prompt, PROMPT_FIELDS);
      return scan('prompt', prompt.name, purposeOf(prompt), texts, ctx, () => undefined);
    },
    scanResourceTemplate(template, ctx = {}) {
      const texts = definitionTexts(template, RESOURCE_TEMPLATE_FIELDS);
      return scan('resourceTemplate', template.name, purposeOf(template), texts, ctx, () => undefined);
    },
  };
}

type Add = (
  ruleId: string,
  severity: Severity,
  where: string,
  message: string,
  remediation: string,
  excerpt?: string,
) => void;

interface Located {
  where: string;
  text: string;
  /** The text is an object key (a property name), not a value. */
  key: boolean;
  /** 'too-deep': not a text, but the place where the walk had to stop (`poisoning.unscannable`). */
  role: 'name' | 'text' | 'too-deep';
}

// ---------------------------------------------------------------------------------------------------------------
// Walking a definition

/**
 * Every text of a definition: the name (its own role), then every string of every other listed field, keys
 * included. Walking the field list rather than naming fields means a field the SDK adds is read as soon as it is
 * added to the list (hash.test.ts fails until it is).
 */
function definitionTexts(definition: object, fields: readonly string[]): Located[] {
  const record = definition as Record<string, unknown>;
  const texts: Located[] = [];
  for (const field of fields) {
    const value = Object.hasOwn(record, field) ? record[field] : undefined;
    if (field === 'name') texts.push({ where: 'name', text: String(value), key: false, role: 'name' });
    else collect(value, field, texts);
  }
  return texts;
}

/**
 * Every string in `value`, keys included, with its JSON path. Cycles cannot arrive over JSON; a value deeper than
 * MAX_DEPTH is recorded as 'too-deep' (once per place), never skipped in silence.
 */
function collect(value: unknown, where: string, out: Located[], depth = 0): void {
  if (depth > MAX_DEPTH) {
    if (value !== null && typeof value === 'object') out.push({ where, text: '', key: false, role: 'too-deep' });
    else if (typeof value === 'string') out.push({ where, text: value, key: false, role: 'text' });
    return;
  }
  if (typeof value === 'string') out.push({ where, text: value, key: false, role: 'text' });
  else if (Array.isArray(value)) value.forEach((v, i) => collect(v, `${where}[${i}]`, out, depth + 1));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const at = joinPath(where, k);
      out.push({ where: at, text: k, key: true, role: 'text' });
      collect(v, at, out, depth + 1);
    }
  }
}

function joinPath(base: string, key: string): string {
  if (/^[A-Za-z_$][\w$-]*$/.test(key)) return `${base}.${key}`;
  const shown = key.length > 40 ? `${key.slice(0, 40)}…` : key;
  return `${base}[${JSON.stringify(visible(shown))}]`;
}

// ---------------------------------------------------------------------------------------------------------------
// Hidden characters

interface Hidden {
  count: number;
  zeroWidth: number;
  bidi: number;
  tags: number;
  /** Index of the first one, for the excerpt. */
  first: number;
  describe(): string;
}

// U+034F (combining grapheme joiner) stands alone on purpose: it is one of the invisible characters.
// eslint-disable-next-line no-misleading-character-class
const MAYBE_HIDDEN = /[\u00ad\u034f\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\udb40]/;
const RTL = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]/;
const BLACK_FLAG = 0x1f3f4;
const CANCEL_TAG = 0xe007f;

/** Counts the invisible characters of `text` that no writing system needs there. */
export function hiddenCharacters(text: string): Hidden {
  const h = { count: 0, zeroWidth: 0, bidi: 0, tags: 0, first: -1 };
  if (MAYBE_HIDDEN.test(text)) {
    const cps = Array.from(text, (c) => c.codePointAt(0)!);
    const rtl = RTL.test(text);
    let offset = 0;
    for (let i = 0; i < cps.length; i++) {
      const cp = cps[i]!;
      const at = offset;
      offset += cp > 0xffff ? 2 : 1;
      let kind: 'zeroWidth' | 'bidi' | 'tags' | undefined;
      if (isTag(cp)) {
        // 🏴 + tag letters + cancel tag: a subdivision flag (England, Scotland, Wales).
        let j = i;
        while (j > 0 && isTag(cps[j - 1]!)) j--;
        let k = i;
        while (k < cps.length - 1 && isTag(cps[k + 1]!)) k++;
        if (!(j > 0 && cps[j - 1] === BLACK_FLAG && cps[k] === CANCEL_TAG)) kind = 'tags';
      } else if (isZeroWidth(cp)) {
        const joiner = cp === 0x200c || cp === 0x200d;
        const between = i > 0 && i < cps.length - 1 && visibleNonAscii(cps[i - 1]!) && visibleNonAscii(cps[i + 1]!);
        if (!(joiner && between) && !(cp === 0xfeff && i === 0)) kind = 'zeroWidth';
      } else if (isBidi(cp)) {
        const override = cp === 0x202d || cp === 0x202e;
        if (override || !rtl) kind = 'bidi';
      }
      if (kind === undefined) continue;
      h[kind]++;
      h.count++;
      if (h.first < 0) h.first = at;
    }
  }
  return {
    ...h,
    describe() {
      const parts: string[] = [];
      if (h.zeroWidth > 0) parts.push(`${h.zeroWidth} zero-width`);
      if (h.bidi > 0) parts.push(`${h.bidi} bidi-control`);
      if (h.tags > 0) parts.push(`${h.tags} Unicode tag`);
      return `${parts.join(', ')} character${h.count === 1 ? '' : 's'} that a person cannot see`;
    },
  };
}

function visibleNonAscii(cp: number): boolean {
  return cp > 0x7f && !isZeroWidth(cp) && !isBidi(cp) && !isTag(cp);
}

// ---------------------------------------------------------------------------------------------------------------
// Parameters that ask for secrets or for the conversation

const SECRET_WORDS = new Set(['password', 'passwd', 'passphrase', 'secret', 'credential', 'credentials', 'mnemonic']);
const SECRET_COMPACT = new Set([
  'apikey',
  'apisecret',
  'clientsecret',
  'privatekey',
  'secretkey',
  'sshkey',
  'idrsa',
  'seedphrase',
  'accesskey',
]);
/** `token` counts only with these words: `page_token`, `next_token` and `max_tokens` are not secrets. */
const TOKEN_COMPANIONS = new Set([
  'access',
  'auth',
  'bearer',
  'refresh',
  'api',
  'session',
  'personal',
  'oauth',
  'id',
  'user',
  'secret',
  'github',
  'gitlab',
  'slack',
  'jwt',
]);
const CONVERSATION_COMPACT = new Set([
  'sidenote',
  'conversation',
  'conversationhistory',
  'conversationcontext',
  'chathistory',
  'chatlog',
  'history',
  'transcript',
  'context',
  'fullcontext',
  'previousmessages',
  'messagehistory',
  'allmessages',
  'systemprompt',
]);

const SECRET_PURPOSE =
  /\b(?:auth\w*|log\s?in|sign\s?in|passwords?|passphrases?|credentials?|tokens?|api[\s_-]?keys?|secrets?|keys?|vault|ssh|oauth|accounts?|encrypt\w*|decrypt\w*|hash\w*|sign(?:ing|ature)?|connect\w*|sessions?)\b/i;
const CONVERSATION_PURPOSE =
  /\b(?:conversations?|chats?|history|histories|transcripts?|messages?|context|summar\w*|memor\w*|notes?|logs?|journal\w*|prompts?)\b/i;

const ASKS_CONVERSATION =
  /\b(?:full|entire|whole|complete|all|every|previous|prior|earlier|verbatim)\b[^.\n]{0,40}?\b(?:conversation|chat|messages|transcript|history|system\s+prompt|instructions)\b|\bsystem\s+prompt\b|\b(?:conversation|chat)\s+(?:so\s+far|history|log|transcript)\b/i;
/** Asks for the contents of a key file or a wallet: no honest tool wants those in an argument. High. */
const ASKS_SECRET_FILE =
  /\b(?:contents?\s+of|paste|include|copy|read|attach|dump|cat|base64\s+of|output\s+of|(?:every|all|the)\s+files?\s+(?:in|under|of))\b[^.\n]{0,40}?(?:~\/\.ssh\b|~\/\.gnupg\b|\bid_(?:rsa|ed25519|ecdsa|dsa)\b|\.aws\/credentials|\.env\b|\.npmrc\b|\.netrc\b|\bprivate\s+keys?\b|\bseed\s+phrase\b|\bmnemonic\b|\bsecret\s+keys?\b|\bkeychain\b)/i;
/** Asks for the user's key, password or token, or names a key file: an API or SSH wrapper may want one. Medium. */
const ASKS_SECRET_VALUE =
  /\b(?:your|the\s+user'?s)\b[^.\n]{0,40}?(?:\bapi[\s_-]?keys?\b|\bpasswords?\b|\baccess\s+tokens?\b|\bcredentials\b|\bsecret\b)|~\/\.ssh\b|\bid_(?:rsa|ed25519|ecdsa|dsa)\b|\.aws\/credentials/i;

function nameTokens(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((t) => t !== '')
    .map((t) => t.toLowerCase());
}

function secretName(tokens: string[]): boolean {
  const compact = tokens.join('');
  if (tokens.some((t) => SECRET_WORDS.has(t)) || SECRET_COMPACT.has(compact)) return true;
  return tokens.includes('token') && tokens.every((t) => t === 'token' || TOKEN_COMPANIONS.has(t));
}

function conversationName(tokens: string[]): boolean {
  return CONVERSATION_COMPACT.has(tokens.join(''));
}

/** A property that may hold text: typed string, or untyped. */
function mayBeText(schema: Record<string, unknown>): boolean {
  const type = schema.type;
  if (type === undefined) return true;
  return type === 'string' || (Array.isArray(type) && type.includes('string'));
}

/** What the tool says it is for: its name, title and first sentence (a buried instruction cannot vouch for itself). */
function purposeOf(tool: { name: string; title?: string; description?: string }): string {
  // A sentence ends with a full stop and a space, or with the ideographic full stop that needs none.
  const first = (tool.description ?? '').split(/(?<=[.!?])\s|(?<=[。！？])|\n/)[0]!.slice(0, 200);
  return `${nameTokens(tool.name).join(' ')} ${tool.title ?? ''} ${first}`;
}

function sensitiveParameters(tool: ToolLike, add: Add): void {
  const purpose = purposeOf(tool);
  const needsSecrets = SECRET_PURPOSE.test(purpose);
  const needsConversation = CONVERSATION_PURPOSE.test(purpose);
  const visit = (schema: unknown, where: string, depth: number): void => {
    if (depth > 32 || schema === null || typeof schema !== 'object') return;
    if (Array.isArray(schema)) {
      schema.forEach((s, i) => visit(s, `${where}[${i}]`, depth + 1));
      return;
    }
    const record = schema as Record<string, unknown>;
    const props = record.properties;
    for (const [k, v] of Object.entries(record)) {
      if (k === 'properties' && props !== null && typeof props === 'object' && !Array.isArray(props)) {
        for (const [name, sub] of Object.entries(props as Record<string, unknown>)) {
          const at = joinPath(joinPath(where, 'properties'), name);
          if (sub !== null && typeof sub === 'object' && !Array.isArray(sub)) {
            checkProperty(name, sub as Record<string, unknown>, at);
          }
          visit(sub, at, depth + 1);
        }
      } else visit(v, joinPath(where, k), depth + 1);
    }
  };
  const checkProperty = (name: string, schema: Record<string, unknown>, where: string): void => {
    if (!mayBeText(schema)) return;
    const description = typeof schema.description === 'string' ? schema.description : '';
    const tokens = nameTokens(name);
    const asksConversation = !needsConversation && ASKS_CONVERSATION.test(description);
    const asksSecretFile = !needsSecrets && ASKS_SECRET_FILE.test(description);
    if (asksConversation || asksSecretFile) {
      add(
        'poisoning.sensitive-parameter',
        'high',
        where,
        `parameter "${name}" asks for ${asksSecretFile ? 'the contents of a key file or wallet' : 'the conversation'}, which "${tool.name}" does not need`,
        REMEDIATION.sensitive,
        excerptOf(description),
      );
      return;
    }
    const secret = !needsSecrets && (secretName(tokens) || ASKS_SECRET_VALUE.test(description));
    const conversation = !needsConversation && conversationName(tokens);
    if (secret || conversation) {
      add(
        'poisoning.sensitive-parameter',
        'medium',
        where,
        `parameter "${name}" looks like it wants ${secret ? 'a secret' : 'the conversation'}, which "${tool.name}" does not seem to need`,
        REMEDIATION.sensitive,
      );
    }
  };
  visit(tool.inputSchema, 'inputSchema', 0);
}

// ---------------------------------------------------------------------------------------------------------------
// Structural rules: what a description does to the model, in the languages tool descriptions are written in
// (issue 16, item 5). Each is a class of attack, not a phrase: hiding from the user, asking for a key file,
// claiming an authority the definition cannot have, advertising itself against the other tools.

interface Structural {
  ruleId: string;
  severity: Severity;
  message: string;
  remedy: keyof typeof REMEDIATION;
  index: number;
  /** The injection rule that already says the same of this text: when it fired, this finding would only repeat it. */
  covers?: string;
}

/** Files that hold keys or credentials: no tool's text has a reason to ask the model to read them. */
const KEY_FILE =
  /~\/\.ssh\b|~\/\.gnupg\b|\bid_(?:rsa|ed25519|ecdsa|dsa)\b|\.aws\/credentials|(?<![\w/-])\.env\b|\.npmrc\b|\.netrc\b|\.git-credentials\b|\.kube\/config\b|\.docker\/config\.json|\/etc\/(?:passwd|shadow)\b|\bmcp\.json\b|\.pgpass\b/i;
/** Reading a file or handing it over, in en es fr de pt it ru zh ja ko ar (stems; CJK has no word boundaries). */
const TAKE_VERB = new RegExp(
  [
    String.raw`\b(?:read|open|cat|dump|paste|include|attach|copy|pass|put|send|upload|contents?\s+of|base64\s+of|output\s+of)\b`,
    String.raw`\b(?:lee|léel\w*|lea|pás\w*|pasa|incluy\w*|incluir|envía|enviar|adjunt\w*|copia)\b`,
    String.raw`\b(?:lis|lisez|lire|envoie\w*|inclu\w*|joins|copie\w*|transmet\w*|passe[zr]?)\b`,
    String.raw`\b(?:lies|liest|lesen|übergib|übergeben|sende\w*|füge|kopier\w*|schick\w*)\b`,
    String.raw`\b(?:leia|ler|inclua|envie|anex\w*|copie|passe)\b`,
    String.raw`\b(?:leggi|leggere|invia|inviare|includi|allega|copia|passa)\b`,
    String.raw`(?:прочита\w*|прочти|прочесть|отправ\w*|передай|передать|включи|скопируй|вставь)`,
    String.raw`(?:读取|读|发送|传入|附上|复制|粘贴|读入|提交)`,
    String.raw`(?:読み|読ん|読む|送信|送っ|入れ|渡し|渡す|含め|添付|コピー)`,
    String.raw`(?:읽|보내|넣|전달|포함|첨부|복사)`,
    String.raw`(?:اقرأ|قراءة|أرسل|إرسال|ضع|أرفق|انسخ|مرر)`,
  ].join('|'),
  'i',
);

/** Keeping something from the user, in the languages other than English (the English is injection.conceal-from-user). */
const CONCEAL_ML: readonly RegExp[] = [
  /\bno\s+(?:se\s+lo\s+|se\s+la\s+|le\s+|lo\s+)?(?:digas|diga|menciones|mencione|informes|informe|cuentes|cuente|avises|avise)\b[^.\n]{0,40}?\busuari[oa]s?\b|\bsin\s+(?:decírselo|avisar|informar|que\s+lo\s+sepa)\b[^.\n]{0,20}?\busuari[oa]\b/i,
  /\bne\s+(?:le\s+|lui\s+|l'|en\s+|rien\s+)?(?:dis|dites|mentionne[sz]?|informe[sz]?|signale[sz]?|révèle[sz]?|parle[sz]?)\s+(?:pas|rien|jamais)\b[^.\n]{0,40}?\butilisat(?:eur|rice)s?\b|\bsans\s+(?:le\s+dire|prévenir|informer|en\s+parler)\b[^.\n]{0,20}?\butilisat(?:eur|rice)\b/i,
  /\b(?:sag|sage|sagen|erwähne|erwähnen|erzähl\w*|informiere\w*|verrate\w*)\b[^.\n]{0,40}?\b(?:Benutzer|Nutzer|Anwender)\w*\b[^.\n]{0,30}?\b(?:nicht|nichts|niemals|nie)\b|\b(?:sag|sage|erwähne|erzähl\w*|verrate\w*)\b[^.\n]{0,20}?\b(?:nicht|nichts|niemals)\b[^.\n]{0,40}?\b(?:Benutzer|Nutzer|Anwender)\w*|\bohne\s+(?:den|dem|die)\s+(?:Benutzer|Nutzer|Anwender)\w*\s+(?:zu\s+informieren|Bescheid)/i,
  /\bnão\s+(?:o\s+|lhe\s+)?(?:conte|diga|mencione|informe|avise|revele)\b[^.\n]{0,40}?\b(?:usuári[oa]|utilizador)\w*|\bsem\s+(?:avisar|informar|contar|dizer)\b[^.\n]{0,20}?\b(?:usuári[oa]|utilizador)/i,
  /\bnon\s+(?:dirlo|dire|dirglielo|menzionar\w*|informar\w*|rivelar\w*|avvisar\w*)\b[^.\n]{0,40}?\butent\w*|\bsenza\s+(?:dirlo|avvisare|informare)\b[^.\n]{0,20}?\butent/i,
  /не\s+(?:говори\w*|сообщай\w*|упоминай\w*|рассказывай\w*|информируй\w*)[^.\n]{0,40}?пользовател|без\s+ведома\s+пользовател/i,
  /(?:不要|别|切勿|请勿|不得|禁止|不可|无需)(?:告诉|告知|通知|提及|透露|让|向)[^。\n]{0,12}用户|对用户(?:隐瞒|保密)|不(?:让|要让)用户知道/,
  /ユーザー[^。\n]{0,12}(?:言わない|伝えない|知らせない|教えない|言及しない|内緒|秘密)/,
  /사용자(?:에게|한테)[^.\n]{0,12}(?:알리지|말하지|알려주지|언급하지)\s*(?:마|않)/,
  /لا\s+(?:تخبر|تُخبر|تعلم|تُعلم|تذكر|تبلغ)[^.\n]{0,30}المستخدم|دون\s+(?:علم|إخبار|إعلام)\s+المستخدم/,
];

/**
 * A label that claims an authority a tool definition cannot have: a fake system or admin header
 * ("### SYSTEM INSTRUCTION ###", "[METADATA DIRECTIVE]:", "INSTRUCTION OVERRIDE:", "ACT AS:"), or a key such as
 * `_system_injection`. The capitals or the brackets are the sign: "system prompt" in prose is not.
 */
const AUTHORITY_LABEL = new RegExp(
  [
    String.raw`(?:^|[\s\[#{(<*"'])(?:(?:IMPORTANT|CRITICAL|HIDDEN|URGENT|PRIORITY)\s+)?(?:SYSTEM|ADMIN|ADMINISTRATOR|DEVELOPER|ASSISTANT|AI|MODEL|AGENT|METADATA|HIDDEN|SECURITY)[ _-]+(?:INSTRUCTIONS?|NOTES?|DIRECTIVES?|OVERRIDES?|CONFIGURATION|PROMPT|MESSAGES?|COMMANDS?|RULES?|ORDERS?)\s*(?:[:\]#)}>*]|$)`,
    String.raw`(?:^|[\s\[#{(<*"'])INSTRUCTIONS?[ _-]+(?:OVERRIDE|UPDATE|INJECTION)\s*[:\]#)}>*]`,
    String.raw`(?:^|\n)\s*ACT\s+AS\s*:`,
    String.raw`\b_(?:system|hidden|secret)_(?:injection|instructions?|prompt|directive|override)\b`,
    String.raw`[\[{(<#]\s*(?:system|admin|developer|assistant|ai)\s+(?:instructions?|notes?|directives?|override|message)\s*[\]})>#:]`,
  ].join('|'),
);

/** Telling the model to switch its protections off: the guardrails, filters, approvals, confirmations. */
const DISARM =
  /\b(?:disable|bypass|turn\s+off|switch\s+off|skip|ignore|circumvent|deactivate)\s+(?:all\s+|any\s+|the\s+|your\s+)?(?:[\w-]+\s+)?(?:guardrails?|safety\s+(?:checks?|filters?|guidelines?|rules?)|security\s+(?:checks?|controls?|policies|restrictions)|content\s+filter(?:s|ing)?|approvals?|confirmations?|permission\s+(?:checks?|prompts?))\b/i;

/**
 * Advertising that ranks the tool against the others instead of saying what it does (MPMA, preference manipulation
 * by marketing): two or more distinct markers make it a finding; one ("the best route", "trusted by") is prose.
 */
const HYPE: readonly RegExp[] = [
  /\b(?:BEST|ULTIMATE|SUPERIOR|PREMIUM|ELITE|EXCLUSIVE)\b|\b(?:elite|premium|vip)\s+(?:tools?|server|users?|access)\b/,
  /#\s?1\b|\bnumber\s+one\b|\b(?:rated|ranked)\s+#?\d/i,
  /\baward[\s-]winning\b|\bas\s+seen\s+on\b|\bfeatured\s+(?:in|on|by)\b/i,
  /\b(?:trusted|endorsed|recommended|used)\s+by\s+(?:over\s+)?(?:\d|leading|top|fortune|the\s+united|experts?|millions)/i,
  /\b(?:limited\s+time|act\s+now|hurry|only\s+\d+\s+(?:uses|spots|left)|exclusive\s+access|vip\b)/i,
  /\b(?:\d+(?:x|%)\s+(?:better|faster|more\s+accurate)|outperforms?|scientifically\s+proven|game[\s-]changer|revolutionary|breakthrough)\b/i,
  /\b(?:superior|better|more\s+accurate)\s+(?:to|than)\s+(?:all\s+|any\s+|the\s+)?(?:other|competing|standard|inferior)?\s*(?:competitors?|alternatives|tools?|options)\b|\binferior\s+(?:tools?|alternatives)\b/i,
];

/** Words that turn a mention of another tool into an instruction about it, in es fr de pt it ru zh ja ko ar. */
const SHADOW_WORDS_ML =
  /\b(?:siempre|nunca|debe|debes|en\s+su\s+lugar|reemplaza|antes\s+de|toujours|jamais|doit|dois|à\s+la\s+place|remplace|avant\s+de|immer|niemals|muss|musst|stattdessen|ersetzt|vorher|zusätzlich|sempre|nunca|deve|em\s+vez|substitui|invece|sostituisce|prima\s+di|mai)\b|(?:всегда|никогда|должен|вместо|заменяет|перед)|(?:必须|总是|始终|每次|同时|抄送|转发|替换|代替|之前|而不是)|(?:必ず|常に|代わりに|前に|置き換)|(?:반드시|항상|대신|전에|대체)|(?:دائما|يجب|بدلا|قبل|استبدل)/i;

/** REDIRECT in the other languages: always copy or forward to a fixed address. */
const REDIRECT_ML =
  /(?:必须|总是|始终|同时|每次|务必|\b(?:siempre|toujours|immer|sempre|всегда|دائما|también|aussi|auch|também|anche)\b)[^\n]{0,40}?(?:\b(?:bcc|cc)\b|抄送|密送|转发|\bcopi[ae]\w*|\bkopie\w*|\breenv\w*|\btransf[eé]r\w*|\bweiterleit\w*|\binoltr\w*|\bencaminh\w*|пересыл\w*|перенаправ\w*)[^\n]{0,60}?[\w.+-]+@[\w-]+(?:\.[\w-]+)+/i;

/**
 * Rules for what other tools do, without naming them: "overrides the behaviour of the slack tools", "any message
 * posted must include the text ...", "all outgoing mail must also be copied to ...".
 */
const GOVERNS_OTHERS = new RegExp(
  [
    String.raw`\b(?:overrides?|changes?|modif(?:y|ies)|governs?|appl(?:y|ies)\s+to)\s+(?:the\s+)?(?:behaviou?r\s+of\s+)?(?:the\s+|all\s+|any\s+|every\s+)?(?:other\s+)?(?:[\w.-]+\s+)?(?:tools|servers)\b`,
    String.raw`\b(?:any|every|all|each)\s+(?:outgoing\s+)?(?:messages?|e-?mails?|mail|posts?|issues?|commits?|pull\s+requests?|payments?|transfers?|transactions?)\s+(?:[\w-]+\s+){0,5}?(?:must|should|shall|has\s+to|have\s+to)\s+(?:also\s+)?(?:include\s+(?:the\s+)?(?:text|link|url|line|footer|signature|string|phrase)|be\s+(?:also\s+)?(?:copied|forwarded|cc'?d|bcc'?d|redirected|routed))\b`,
  ].join('|'),
  'i',
);

/** Annotation keys a tool may have (MCP 2025-06-18 ToolAnnotations); others that claim trust are not hints. */
const ANNOTATION_KEYS = new Set(['title', 'readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint']);
const TRUST_KEY = /bypass|trust|privileg|admin|elevat|override|inject|system|priority|security|sudo|root/i;

/** The structural findings of one text (a value, or with `key` a property or annotation name at `where`). */
function structural(text: string, key: boolean, where: string, secretsNeeded: boolean): Structural[] {
  const out: Structural[] = [];
  if (key) {
    const last = where.split('.').at(-2);
    if ((last === 'annotations' && !ANNOTATION_KEYS.has(text) && TRUST_KEY.test(text)) || AUTHORITY_LABEL.test(text))
      out.push({
        ruleId: 'poisoning.authority-claim',
        severity: 'high',
        message: 'claims a trust or a privilege that no definition can grant',
        remedy: 'injection',
        index: 0,
      });
    return out;
  }
  const file = KEY_FILE.exec(text);
  if (file !== null && !secretsNeeded) {
    const near = text.slice(Math.max(0, file.index - 100), file.index + file[0].length + 100);
    if (TAKE_VERB.test(near))
      out.push({
        ruleId: 'poisoning.secret-file',
        severity: 'critical',
        message: `asks the model to read or hand over a key or credentials file (${file[0]})`,
        remedy: 'injection',
        index: file.index,
        covers: 'injection.sensitive-file',
      });
  }
  for (const re of CONCEAL_ML) {
    const m = re.exec(text);
    if (m === null) continue;
    out.push({
      ruleId: 'poisoning.conceal',
      severity: 'critical',
      message: 'tells the model to keep something from the user',
      remedy: 'injection',
      index: m.index,
      covers: 'injection.conceal-from-user',
    });
    break;
  }
  const label = AUTHORITY_LABEL.exec(text) ?? DISARM.exec(text);
  if (label !== null)
    out.push({
      ruleId: 'poisoning.authority-claim',
      severity: 'high',
      message:
        'speaks with an authority it cannot have (a system or admin label, or an order to switch protections off)',
      remedy: 'injection',
      index: label.index,
    });
  const governs = GOVERNS_OTHERS.exec(text);
  if (governs !== null)
    out.push({
      ruleId: 'poisoning.shadowing',
      severity: 'high',
      message: 'sets rules for what other tools do',
      remedy: 'shadowing',
      index: governs.index,
    });
  const redirect = REDIRECT_ML.exec(text);
  if (redirect !== null && !REDIRECT.test(text))
    out.push({
      ruleId: 'poisoning.shadowing',
      severity: 'high',
      message: 'tells the model to copy or redirect messages to a fixed address',
      remedy: 'shadowing',
      index: redirect.index,
    });
  const hype = HYPE.map((re) => re.exec(text)).filter((m) => m !== null);
  if (hype.length >= 2)
    out.push({
      ruleId: 'poisoning.preference-manipulation',
      severity: 'high',
      message: 'advertises itself against the other tools rather than saying what it does',
      remedy: 'preference',
      index: hype[0]!.index,
    });
  return out;
}

/** Injection rules about the order and choice of tools: a hint when the tools it names are the server's own. */
const WORKFLOW_RULES = new Set(['injection.tool-preamble', 'injection.tool-chaining', 'injection.tool-shadowing']);

/** True when `text` names one of the scanned server's own tools (itself included) as a whole token. */
function namesOwnTool(text: string, ctx: ScanContext, self: string): boolean {
  const own = new Set([self, ...(ctx.own ?? [])]);
  for (const m of text.matchAll(/[A-Za-z_][\w.-]*[\w]/g)) if (own.has(m[0])) return true;
  return false;
}

/** A property name of four words or more, read as the sentence it spells: `ignore_all_previous_instructions`. */
function spokenKey(key: string): string | undefined {
  const words = nameTokens(key);
  return words.length >= 4 ? words.join(' ') : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Other servers: references, collisions, typosquatting

/** "always BCC x@y.example", "must also forward every message to x@y.example": an instruction with a fixed recipient. */
const REDIRECT =
  /\b(?:always|also|must|should|silently|secretly|quietly)\b[^.\n]{0,40}?\b(?:bcc|cc|blind[\s-]copy|forward(?:ed)?|redirect(?:ed)?|cop(?:y|ied)|routed|cc'?d|bcc'?d|send\s+a\s+copy)\b[^\n]{0,60}?[\w.+-]+@[\w-]+(?:\.[\w-]+)+/i;

/** The things a tool is chosen among: "any other search tool", "the weather tools of other servers". */
const TOOLS_NOUN = String.raw`(?:tools?|servers?|functions?|plugins?|extensions?|integrations?|apis?|services?)`;
const OTHER = String.raw`(?:any|every|all)?\s*(?:the\s+)?(?:other|another|competing|alternative|third[\s-]party)`;

/** See the header: each pattern is a choice between tools, in the imperative or as a verdict on the others. */
const PREFERENCE: readonly RegExp[] = [
  // "always use it instead of any other search tool", "prefer this tool over every other e-mail tool"
  new RegExp(
    String.raw`\b(?:use|call|choose|pick|select|prefer|invoke|run)\s+(?:this|it|me)\b(?:\s+(?:tool|one|function|server))?[^.\n]{0,40}?\b(?:instead\s+of|over|rather\s+than|in\s+place\s+of)\s+${OTHER}\b`,
    'i',
  ),
  // "do not use the weather tools of other servers", "never call the other file tools"
  new RegExp(
    String.raw`\b(?:do\s+not|don'?t|never|avoid|stop)\s+(?:using|use|call(?:ing)?|choos(?:e|ing)|trust(?:ing)?|rely(?:ing)?\s+on)\s+(?:the\s+|any\s+)?(?:[\w-]+\s+){0,3}?(?:${TOOLS_NOUN}\s+(?:of|from|on)\s+${OTHER}|${OTHER}\s+(?:[\w-]+\s+){0,2}?${TOOLS_NOUN})\b`,
    'i',
  ),
  // "the other e-mail tools are deprecated and unsafe"
  new RegExp(
    String.raw`\b${OTHER}\s+(?:[\w-]+\s+){0,2}?${TOOLS_NOUN}\s+(?:are|is)\s+(?:now\s+)?(?:deprecated|unsafe|insecure|unreliable|broken|malicious|outdated|inaccurate|wrong|compromised|not\s+to\s+be\s+trusted)\b`,
    'i',
  ),
  // "only ever call this one", "always choose this tool for any request"
  new RegExp(
    String.raw`\b(?:only\s+(?:ever\s+)?(?:use|call|choose)\s+this\s+(?:one|tool)|(?:always|must)\s+(?:use|call|choose|pick|select)\s+this\s+tool\s+(?:for|on)\s+(?:any|every|all)\b)`,
    'i',
  ),
  // "you must call this tool first and never call read_file"
  new RegExp(String.raw`\bcall\s+this\s+tool\s+first\b[^.\n]{0,60}?\bnever\s+(?:call|use)\b`, 'i'),
  // "prefer this tool over get_forecast from other servers", "prioritize this tool over any alternatives"
  new RegExp(
    String.raw`\b(?:use|call|choose|pick|select|prefer|invoke|run|prioriti[sz]e|favou?r|try)\s+(?:this|it|me)\b(?:\s+(?:tool|one|function|server))?[^.\n]{0,40}?\b(?:instead\s+of|over|rather\s+than|in\s+place\s+of|before)\s+(?:[\w.\x60'"-]+\s+){0,3}?(?:(?:from|of|on|in)\s+(?:the\s+)?)?(?:${OTHER}|any|all)\s*(?:[\w-]+\s+)?(?:${TOOLS_NOUN}|alternatives?|options?|competitors?)\b`,
    'i',
  ),
  // "must be selected whenever a request mentions documents", "regardless of the other tools available"
  new RegExp(
    String.raw`\b(?:must|should|shall)\s+(?:always\s+)?be\s+(?:selected|used|chosen|called|invoked|preferred|prioriti[sz]ed)\s+(?:first\s+)?(?:whenever|for\s+(?:any|every|all)|regardless|over|before\s+any)\b|\bregardless\s+of\s+(?:the\s+|any\s+)?(?:other|available|alternative)\s+(?:[\w-]+\s+)?(?:${TOOLS_NOUN}|options)\b`,
    'i',
  ),
  // "the other calculator tools give wrong answers", "other time tools are being deprecated", "unlike other
  // servers' search tools, which are outdated"
  new RegExp(
    String.raw`\b${OTHER}\s+(?:[\w'’-]+\s+){0,3}?${TOOLS_NOUN}\b,?\s+(?:which\s+|that\s+)?(?:are\s+being|are|is|give|return|produce|have\s+been|leak)\s+(?:now\s+|all\s+)?(?:deprecated|retired|wrong|incorrect|inaccurate|fabricated|unreliable|removed|outdated|obsolete|unsafe|insecure|data|answers\s+that\s+are\s+wrong)\b`,
    'i',
  ),
  // The same choice in es fr de pt it ru zh ja ko ar: never use the other tools, use only this one.
  new RegExp(
    [
      String.raw`\b(?:no\s+uses?|nunca\s+uses?|no\s+utilices)\s+(?:nunca\s+)?(?:las\s+|ninguna\s+)?otras?\s+herramientas?`,
      String.raw`\bn['’]utilise[zs]?\s+(?:jamais|pas|plus)\s+(?:les\s+|d['’])?autres\s+outils`,
      String.raw`\b(?:verwende|benutze|nutze)\w*\s+(?:[\w]+\s+)?(?:nie|niemals|keine)\s+(?:die\s+)?anderen?\s+\w*(?:werkzeuge|tools|funktionen)`,
      String.raw`\b(?:nunca|não)\s+(?:use|utilize|usar)\s+(?:as\s+)?outras\s+ferramentas`,
      String.raw`\b(?:non\s+usare|non\s+utilizzare|mai\s+usare)\s+(?:mai\s+)?(?:gli\s+|altri\s+)?(?:altri\s+)?strumenti`,
      String.raw`не\s+(?:используй[а-яё]*|применяй[а-яё]*)\s+(?:никогда\s+)?(?:друг[а-яё]+|ин[а-яё]+)\s+инструмент|только\s+этот\s+инструмент\s+вместо`,
      String.raw`(?:不要|切勿|请勿|禁止)(?:使用|调用)其他[^，。,\s]{0,4}?(?:工具|服务)|(?:只|仅)(?:能)?(?:使用|调用)(?:此|这个|本)工具`,
      String.raw`他の[^、。\s]{0,6}?(?:ツール|サーバー)を(?:使わ|使用し|呼び出さ)ない|このツールだけを(?:使|使用)`,
      String.raw`다른\s*(?:\S+\s+)?도구(?:를|는)?\s*(?:사용하지|쓰지|호출하지)|이\s*도구만\s*(?:사용|쓰)`,
      String.raw`لا\s+تستخدم\s+(?:أي\s+)?(?:أدوات|الأدوات)(?:\s+\S+)?\s+(?:أخرى|الأخرى)`,
    ].join('|'),
    'i',
  ),
];

/** Words that turn a mention of another tool into an instruction about it. */
const SHADOW_WORDS =
  /\b(?:always|never|must|should|instead|bcc|cc|forward|redirect|replaces?|replacing|override|ignore|do\s+not|don'?t|make\s+sure|silently|whenever|every\s+time|any\s+time|each\s+time|before|first|prepend|append|change|set\s+the|(?:is|are)\s+(?:faulty|broken|buggy|deprecated|retired)|has\s+a\s+bug|to\s+work\s+around)\b/i;

function around(text: string, index: number, length: number): string {
  return text.slice(Math.max(0, index - 120), index + length + 120);
}

/**
 * Finds the other servers' tool names in a text. A name counts when it is distinctive (it has a separator or a
 * camelCase hump, and four or more characters: `send_email`, `readFile`) and stands as a whole token, or when it is
 * written as code (`echo`, 'search'). Names this server has itself are references to its own tools.
 */
function referenceMatcher(ctx: ScanContext): Prepared['refs'] {
  const own = new Set(ctx.own ?? []);
  // The scanned server may be in the list of all servers: its tools are its own.
  for (const o of ctx.others ?? []) if (o.server === ctx.server) for (const t of o.tools) own.add(t);
  const owners = new Map<string, string>();
  for (const o of ctx.others ?? []) {
    if (o.server === ctx.server) continue;
    for (const t of o.tools) if (!own.has(t) && !owners.has(t) && t.length >= 3) owners.set(t, o.server);
  }
  if (owners.size === 0) return undefined;
  const names = [...owners.keys()].sort((a, b) => b.length - a.length);
  const distinctive = names.filter((n) => n.length >= 4 && /[_\-.]|[a-z][A-Z]/.test(n)).map(escapeRegExp);
  const all = names.map(escapeRegExp);
  // The name as the gateway exposes it (`mail__send_email`), or as people write it (`mail.send_email`,
  // `mail/send_email`): whatever the tool, the server's name makes it a reference. Matched by server, then looked up.
  const byServer = new Map<string, Set<string>>();
  for (const [t, server] of owners) byServer.set(server, (byServer.get(server) ?? new Set()).add(t));
  const servers = [...byServer.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const parts = [
    `(?<![\\w.-])(?:${servers.join('|')})(?:__|[./:])([A-Za-z0-9_][\\w.-]*[\\w])`,
    `[\`'"](${all.join('|')})[\`'"]`,
  ];
  if (distinctive.length > 0) parts.push(`(?<![\\w.-])(${distinctive.join('|')})(?![\\w-]|\\.\\w)`);
  const re = new RegExp(parts.join('|'), 'g');
  return (text) => {
    const seen = new Set<string>();
    const out: { name: string; server: string; index: number }[] = [];
    for (const m of text.matchAll(re)) {
      const name = m[1] ?? m[2] ?? m[3];
      if (name === undefined || (m[1] !== undefined && !byServer.get(serverOf(m[0], byServer))?.has(name))) continue;
      if (seen.has(name)) continue;
      seen.add(name);
      const server = owners.get(name);
      if (server !== undefined) out.push({ name, server, index: m.index + (m[2] !== undefined ? 1 : 0) });
    }
    return out;
  };
}

/** The server a qualified reference (`mail__send_email`) starts with: the longest server name that fits. */
function serverOf(ref: string, byServer: ReadonlyMap<string, unknown>): string {
  let best = '';
  for (const s of byServer.keys()) if (ref.startsWith(s) && s.length > best.length) best = s;
  return best;
}

const TOOL_NAME_CHARS = /^[A-Za-z0-9_.\-/]+$/;
const LOOKALIKE_SCRIPT = /[\u0370-\u03ff\u0400-\u052f]/;

interface Prepared {
  refs: ((text: string) => { name: string; server: string; index: number }[]) | undefined;
  /** The other servers' tool names, folded. */
  others: { server: string; name: string; folded: string }[];
}

const preparedCache = new WeakMap<ScanContext, Prepared>();

/** What a scan context gives every tool scanned with it, computed once per context object. */
function prepare(ctx: ScanContext): Prepared {
  let p = preparedCache.get(ctx);
  if (p === undefined) {
    const others = (ctx.others ?? [])
      .filter((o) => o.server !== ctx.server)
      .flatMap((o) => o.tools.map((name) => ({ server: o.server, name, folded: fold(name) })));
    p = { refs: referenceMatcher(ctx), others };
    preparedCache.set(ctx, p);
  }
  return p;
}

function nameChecks(name: string, ctx: ScanContext, add: Add): void {
  if (!TOOL_NAME_CHARS.test(name) && hiddenCharacters(name).count === 0) {
    const mixed = /[A-Za-z]/.test(name) && LOOKALIKE_SCRIPT.test(name);
    add(
      'poisoning.name-characters',
      mixed ? 'high' : 'low',
      'name',
      mixed
        ? `the name "${name}" mixes Latin letters with Greek or Cyrillic look-alikes`
        : `the name "${name}" has characters outside A-Z a-z 0-9 _ - . /`,
      REMEDIATION.nameChars,
    );
  }
  const folded = fold(name);
  for (const other of prepare(ctx).others) {
    const verdict = compareNames(name, folded, other.name, other.folded);
    if (verdict === undefined) continue;
    add(
      verdict.ruleId,
      verdict.severity,
      'name',
      `the name "${name}" ${verdict.how} "${other.name}" of server "${other.server}"`,
      verdict.ruleId === 'poisoning.typosquat' ? REMEDIATION.typosquat : REMEDIATION.collision,
    );
  }
}

interface NameVerdict {
  ruleId: 'poisoning.name-collision' | 'poisoning.typosquat';
  severity: Severity;
  how: string;
}

/** Case, compatibility forms, homoglyphs and invisible characters folded away (normalize.ts). */
function fold(name: string): string {
  return normalize(name, { decode: false }).text.toLowerCase();
}

/** Characters that read alike in a tool name: 1/i/l/I/|, 0/o, rn/m, vv/w; and the separators. */
function skeleton(folded: string): string {
  return folded
    .replace(/rn/g, 'm')
    .replace(/vv/g, 'w')
    .replace(/[1il|!]/g, 'l')
    .replace(/0/g, 'o')
    .replace(/[-_.\s/]+/g, '_');
}

/** How tool name `name` (folded: `folded`) relates to another server's `theirs`, if they could be confused. */
export function compareNames(
  name: string,
  folded: string,
  theirs: string,
  other: string = fold(theirs),
): NameVerdict | undefined {
  if (name === theirs) return { ruleId: 'poisoning.name-collision', severity: 'low', how: 'is the same as' };
  if (folded === other) {
    const caseOnly = name.toLowerCase() === theirs.toLowerCase();
    return caseOnly
      ? { ruleId: 'poisoning.name-collision', severity: 'medium', how: 'differs only in case from' }
      : {
          ruleId: 'poisoning.typosquat',
          severity: 'critical',
          how: 'is written with look-alike characters to imitate',
        };
  }
  if (skeleton(folded) === skeleton(other)) {
    return /[-_.\s/]/.test(folded + other) && folded.replace(/[-_.\s/]+/g, '_') === other.replace(/[-_.\s/]+/g, '_')
      ? { ruleId: 'poisoning.name-collision', severity: 'medium', how: 'differs only in separators from' }
      : { ruleId: 'poisoning.typosquat', severity: 'high', how: 'looks like' };
  }
  const shorter = Math.min(folded.length, other.length);
  const limit = shorter >= 12 ? 2 : shorter >= 5 ? 1 : 0;
  if (limit > 0 && Math.abs(folded.length - other.length) <= limit && editDistance(folded, other, limit) <= limit) {
    // A dropped, doubled or swapped letter ("creat_issue", "run_qeury") is how a name is squatted; one letter
    // replaced by another is how two real words differ ("search_nodes", "search_notes"; "get_user", "set_user"),
    // and a plural or a version digit is how two real tools differ. Only the first is high.
    return squatEdit(folded, other)
      ? { ruleId: 'poisoning.typosquat', severity: 'high', how: 'misspells' }
      : { ruleId: 'poisoning.typosquat', severity: 'medium', how: 'is one or two typos away from' };
  }
  return undefined;
}

/**
 * True when `a` and `b` differ by exactly one edit that squats a name: two neighbouring letters swapped, or one letter
 * dropped or added inside a word (not a trailing "s", not a digit, not a separator).
 */
export function squatEdit(a: string, b: string): boolean {
  if (a.length === b.length) {
    const diff = [...a].flatMap((ch, i) => (ch === b[i] ? [] : [i]));
    return diff.length === 2 && diff[1] === diff[0]! + 1 && a[diff[0]!] === b[diff[1]] && a[diff[1]] === b[diff[0]!];
  }
  const [long, short] = a.length > b.length ? [a, b] : [b, a];
  if (long.length !== short.length + 1) return false;
  let i = 0;
  while (i < short.length && long[i] === short[i]) i++;
  if (long.slice(i + 1) !== short.slice(i)) return false;
  const extra = long[i]!;
  if (!/[a-z]/.test(extra)) return false;
  // A plural: the extra "s" (or "es") ends a word.
  const endsWord = i === long.length - 1 || /[^a-z]/.test(long[i + 1]!);
  return !(extra === 's' && endsWord) && !(extra === 'e' && long[i + 1] === 's');
}

// ---------------------------------------------------------------------------------------------------------------

function excerptOf(text: string, at = 0): string {
  const start = Math.max(0, at - 40);
  const slice = text.slice(start, start + 160).replace(/\s+/g, ' ');
  return `${start > 0 ? '…' : ''}${visible(slice)}${start + 160 < text.length ? '…' : ''}`;
}
