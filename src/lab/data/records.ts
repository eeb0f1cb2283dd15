/**
 * Preference records as the Hugging Face hub and TRL write them, parsed into one text form. Browser-safe.
 *
 * Accepted shapes of one JSON line (TRL's dataset formats, docs "Dataset formats and types", preference type):
 *  - standard:        {"prompt": str, "chosen": str, "rejected": str}
 *  - conversational:  {"prompt": [messages], "chosen": [messages], "rejected": [messages]}, or with the prompt
 *                     left implicit in the shared start of `chosen` and `rejected`;
 *  - UltraFeedback-binarized (HuggingFaceH4/ultrafeedback_binarized): {"prompt": str, "chosen": [user, assistant],
 *    "rejected": [user, assistant], "score_chosen": n, "score_rejected": n, "prompt_id", "messages"};
 *  - this project's D_t export (trl-layout.ts): the standard shape with the prompt ending in '<sep>'.
 * Optional everywhere: "reference_response" (a string or messages; the authors' SELM trainer reads this column).
 * Every other field is kept in `extra` and counted, never dropped silently.
 *
 * THE CHAT TEMPLATE (how a conversation becomes text, documented in docs/scale-out.md): each message is written
 * `<|ROLE|>\nCONTENT\n`; a conversational prompt is its messages so written, then `<|assistant|>\n`; the response
 * is the final assistant message's content alone. With the byte-level tokenizer every such string is valid.
 */
import { TRL_SEPARATOR } from './trl-layout.js';

export interface Message {
  role: string;
  content: string;
}

export interface PreferenceRecord {
  prompt: string;
  chosen: string;
  rejected: string;
  /** y_ref when the file has one (the authors' trainer's `reference_response`). */
  referenceResponse?: string;
  /** score_chosen / score_rejected (UltraFeedback), when present. */
  scoreChosen?: number;
  scoreRejected?: number;
  /** Every other field, as read. */
  extra: Record<string, unknown>;
}

/** A bad record: `where` is FILE:LINE, `field` the offending field (null for the line as a whole). */
export class RecordError extends Error {
  constructor(
    readonly where: string,
    readonly field: string | null,
    why: string,
  ) {
    super(`${where}: ${field === null ? '' : `field '${field}': `}${why}`);
    this.name = 'RecordError';
  }
}

const KNOWN = new Set(['prompt', 'chosen', 'rejected', 'reference_response', 'score_chosen', 'score_rejected']);

/** The chat template's text of a message list (see the file comment). */
export function formatMessages(messages: readonly Message[]): string {
  return messages.map((m) => `<|${m.role}|>\n${m.content}\n`).join('');
}

/** The chat template's prompt: the conversation so far, then the assistant's turn marker. */
export function formatChatPrompt(messages: readonly Message[]): string {
  return `${formatMessages(messages)}<|assistant|>\n`;
}

function describe(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? 'nothing' : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function messagesOf(value: unknown, where: string, field: string): Message[] {
  if (!Array.isArray(value))
    throw new RecordError(where, field, `must be a string or a list of {role, content} messages, got ${describe(value)}`);
  return value.map((m, i) => {
    if (typeof m !== 'object' || m === null || typeof (m as Message).role !== 'string' || typeof (m as Message).content !== 'string') {
      throw new RecordError(where, `${field}[${i}]`, `must be a {"role": str, "content": str} message, got ${describe(m)}`);
    }
    return { role: (m as Message).role, content: (m as Message).content };
  });
}

const sameMessages = (a: readonly Message[], b: readonly Message[]): boolean =>
  a.length === b.length && a.every((m, i) => m.role === b[i]!.role && m.content === b[i]!.content);

/** Splits a conversational response into (the conversation before it, the final assistant content). */
function splitResponse(messages: Message[], where: string, field: string): { head: Message[]; content: string } {
  const last = messages[messages.length - 1];
  if (last?.role !== 'assistant') throw new RecordError(where, field, `must end with an assistant message, got ${describe(last ?? null)}`);
  return { head: messages.slice(0, -1), content: last.content };
}

/** Parses one JSON value (a line already JSON-parsed) into a PreferenceRecord; `where` is FILE:LINE. */
export function parsePreferenceRecord(value: unknown, where: string): PreferenceRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new RecordError(where, null, `expected a JSON object with prompt, chosen and rejected, got ${describe(value)}`);
  const r = value as Record<string, unknown>;
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) if (!KNOWN.has(k)) extra[k] = v;
  for (const key of ['chosen', 'rejected']) if (!(key in r)) throw new RecordError(where, key, 'is missing');
  // Each response is a string or a message list, and both take the same form: the error names the field at fault.
  const form = (v: unknown): 'a string' | 'a message list' | null =>
    typeof v === 'string' ? 'a string' : Array.isArray(v) ? 'a message list' : null;
  for (const key of ['chosen', 'rejected'] as const)
    if (form(r[key]) === null)
      throw new RecordError(where, key, `must be a string or a list of {role, content} messages, got ${describe(r[key])}`);
  if (form(r.chosen) !== form(r.rejected))
    throw new RecordError(where, 'rejected', `is ${form(r.rejected)} while chosen is ${form(r.chosen)}: both must take the same form`);
  const conversational = Array.isArray(r.chosen) || Array.isArray(r.prompt);
  let record: PreferenceRecord;
  if (!conversational) {
    if (typeof r.prompt !== 'string') throw new RecordError(where, 'prompt', `must be a string, got ${describe(r.prompt)}`);
    record = { prompt: stripSeparator(r.prompt), chosen: r.chosen as string, rejected: r.rejected as string, extra };
  } else {
    // With a message-list prompt, string responses are the assistant's reply (TRL's prompt-completion mix).
    const response = (field: 'chosen' | 'rejected'): { head: Message[]; content: string } => {
      const v = r[field];
      return typeof v === 'string' ? { head: [], content: v } : splitResponse(messagesOf(v, where, field), where, field);
    };
    const chosen = response('chosen');
    const rejected = response('rejected');
    let prompt: Message[];
    if (r.prompt === undefined) prompt = chosen.head;
    else prompt = typeof r.prompt === 'string' ? [{ role: 'user', content: r.prompt }] : messagesOf(r.prompt, where, 'prompt');
    // Implicit prompts (or UltraFeedback's copies of the prompt) must be the same conversation in both.
    for (const [field, side] of [
      ['chosen', chosen],
      ['rejected', rejected],
    ] as const) {
      if (side.head.length > 0 && !sameMessages(side.head, prompt)) {
        throw new RecordError(
          where,
          field,
          `its messages before the last do not match the prompt's conversation (${prompt.length} message(s))`,
        );
      }
    }
    if (prompt.length === 0) throw new RecordError(where, 'prompt', 'is missing, and chosen has no messages before its response');
    record = { prompt: formatChatPrompt(prompt), chosen: chosen.content, rejected: rejected.content, extra };
  }
  // A pair whose two responses are the same states no preference (its DPO gradient is zero): refused, not counted.
  if (record.chosen === record.rejected)
    throw new RecordError(where, 'rejected', `is the same response as chosen (${describe(record.chosen)}): the pair states no preference`);
  if (r.reference_response !== undefined && r.reference_response !== null) {
    const ref = r.reference_response;
    record.referenceResponse =
      typeof ref === 'string' ? ref : splitResponse(messagesOf(ref, where, 'reference_response'), where, 'reference_response').content;
  }
  for (const [field, key] of [
    ['score_chosen', 'scoreChosen'],
    ['score_rejected', 'scoreRejected'],
  ] as const) {
    const v = r[field];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new RecordError(where, field, `must be a finite number, got ${describe(v)}`);
    record[key] = v;
  }
  return record;
}

/** The prompt without the trailing separator of the TRL layout ('... <sep>'), so exported D_t imports back. */
export function stripSeparator(prompt: string): string {
  return prompt.endsWith(TRL_SEPARATOR)
    ? prompt.slice(0, -TRL_SEPARATOR.length)
    : prompt.endsWith(`${TRL_SEPARATOR} `)
      ? prompt.slice(0, -TRL_SEPARATOR.length - 1)
      : prompt;
}

/** One line of a JSONL file: '' (blank, skipped) or a parsed record. A BOM on line 1 and a CR are removed. */
export function parseJsonlLine(raw: string, where: string, lineNumber: number): PreferenceRecord | null {
  let line = lineNumber === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  if (line.endsWith('\r')) line = line.slice(0, -1);
  if (line.trim() === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    throw new RecordError(where, null, `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const twice = duplicateKey(line);
  if (twice !== null)
    throw new RecordError(where, twice, 'appears twice in one object (JSON.parse would keep only the last value, silently)');
  return parsePreferenceRecord(value, where);
}

/**
 * The first key that occurs twice in one object of `json` (already known to be valid JSON), as a dotted path, or
 * null. JSON.parse keeps the last of duplicate keys without a word, and no JSON parser in Node reports them, so
 * this one pass over the text finds them: a stack of the open containers, each object with the keys seen so far.
 */
export function duplicateKey(json: string): string | null {
  const stack: { keys: Set<string> | null; path: string; expectKey: boolean; last: string }[] = [];
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      let j = i + 1;
      while (json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        const key = JSON.parse(json.slice(i, j + 1)) as string;
        const path = top.path === '' ? key : `${top.path}.${key}`;
        if (top.keys.has(key)) return path;
        top.keys.add(key);
        top.expectKey = false;
        top.last = path;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      const top = stack[stack.length - 1];
      const path = top === undefined ? '' : top.keys ? top.last : `${top.path}[]`;
      stack.push({ keys: c === '{' ? new Set() : null, path, expectKey: c === '{', last: path });
    } else if (c === '}' || c === ']') stack.pop();
    else if (c === ',') {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
    }
  }
  return null;
}

/** Counts of the extra columns seen, for the import's report. */
export function countExtras(counts: Map<string, number>, record: PreferenceRecord): void {
  for (const k of Object.keys(record.extra)) counts.set(k, (counts.get(k) ?? 0) + 1);
}
