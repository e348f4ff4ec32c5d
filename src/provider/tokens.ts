/**
 * Input-token estimates used to RESERVE money before a call. They must be upper bounds of what the
 * provider will bill: under-estimating lets a call overspend a limit, over-estimating only holds a
 * little more money until settlement releases it.
 */
import * as cl100k from 'gpt-tokenizer/encoding/cl100k_base';
import * as o200k from 'gpt-tokenizer/encoding/o200k_base';
import type { Tokenizer } from './models';

export interface TokenMessage {
  role: string;
  content: string;
}

// Chat framing per message (role + separators) and the reply primer, as in OpenAI's cookbook.
const PER_MESSAGE = 4;
const PER_REPLY = 3;

// User text containing "<|endoftext|>" must count as plain text, not throw (the default).
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

const families: Array<[RegExp, Tokenizer]> = [
  [/^(chatgpt-4o|gpt-4o|gpt-4\.1|gpt-5|o[134])([-.:_]|$)/, 'o200k'],
  // Not "gpt-4.5" etc.: an unlisted family falls through to 'bytes' rather than a guess.
  [/^gpt-(4|3\.5)(-|$)/, 'cl100k'],
];

/** Tokenizer family for a model name; 'bytes' (a safe upper bound) when the family is unknown. */
export function tokenizerFor(model: string): Tokenizer {
  // Aggregators prefix vendors ("openai/gpt-4o"): the family is in the last segment.
  const name = model.slice(model.lastIndexOf('/') + 1).toLowerCase();
  return families.find(([re]) => re.test(name))?.[1] ?? 'bytes';
}

export function countTextTokens(text: string, tokenizer: Tokenizer): number {
  if (text.length === 0) return 0;
  if (tokenizer === 'o200k') return o200k.countTokens(text, PLAIN_TEXT);
  if (tokenizer === 'cl100k') return cl100k.countTokens(text, PLAIN_TEXT);
  // Byte-level BPE never produces more tokens than UTF-8 bytes.
  return Buffer.byteLength(text, 'utf8');
}

export function estimateInputTokens(messages: TokenMessage[], tokenizer: Tokenizer): number {
  let total = PER_REPLY;
  for (const m of messages) total += PER_MESSAGE + countTextTokens(m.content, tokenizer);
  return total;
}
