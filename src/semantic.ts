/**
 * What the worker embeds for the semantic cache (issue 12; docs/semantic-cache.md).
 * Only single-turn requests are eligible: system/developer messages, then exactly one user
 * message. The system prompt is not embedded: it is part of the scope, matched exactly by its hash
 * (llm_private.system_hash), so a different system prompt never matches however close the question.
 * A multi-turn conversation is not eligible (its meaning depends on turns a single embedding
 * would blur); it still gets the exact cache.
 */

export interface SemanticMessage {
  role: string;
  content: string;
}

/** Longer texts are not embedded (text-embedding-3-small reads at most 8 191 tokens). */
export const SEMANTIC_TEXT_MAX_CHARS = 16_000;

/** The text to embed for `messages`, or null when the request is not eligible for the semantic cache. */
export function semanticText(messages: readonly SemanticMessage[]): string | null {
  const users = messages.filter((m) => m.role === 'user');
  if (users.length !== 1) return null;
  if (!messages.every((m) => m.role === 'user' || m.role === 'system' || m.role === 'developer')) return null;
  if (messages[messages.length - 1]!.role !== 'user') return null;
  // The same normalisation as llm.cache_key and llm_private.system_hash.
  const text = users[0]!.content.replace(/\r\n/g, '\n').replace(/^[ \t\n]+|[ \t\n]+$/g, '');
  return text.length > 0 && text.length <= SEMANTIC_TEXT_MAX_CHARS ? text : null;
}
