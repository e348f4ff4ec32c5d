/**
 * Facts about an output that the distillation gate (SQL) needs: did it pass the endpoint's output
 * validation, and did the PII scan flag the prompt or the output. The gate decides; this only looks.
 */
import { z } from 'zod';
import type { Endpoint } from './payload';

/** Expected structured output per endpoint, when the job asked for JSON. */
export const OUTPUT_SCHEMAS: Record<Endpoint, z.ZodType> = {
  route: z.object({ answer: z.string().min(1) }),
  explanation: z.object({ answer: z.string().min(1), confidence: z.number().min(0).max(1).optional() }),
  investigation: z.object({ answer: z.string().min(1), confidence: z.number().min(0).max(1) }),
  budget_optimization: z.object({ answer: z.string().min(1) }),
};

/** A text answer is valid when it is not empty and was not cut off; a JSON answer must match its schema. */
export function validateOutput(endpoint: Endpoint, format: 'text' | 'json', content: string, finishReason: string | null): boolean {
  if (!content.trim() || finishReason === 'length') return false;
  if (format === 'text') return true;
  try {
    return OUTPUT_SCHEMAS[endpoint].safeParse(JSON.parse(content)).success;
  } catch {
    return false;
  }
}

const PII_PATTERNS = [
  /[A-Z0-9._%+-]+@[A-Z0-9.-]+\.[A-Z]{2,}/i, // e-mail address
  /\b(?:\d[ -]?){13,19}\b/, // card-like number
  /\+?\d{1,3}[ .-]?\(?\d{2,4}\)?[ .-]?\d{3,4}[ .-]?\d{3,4}\b/, // phone number
  /\b\d{3}-\d{2}-\d{4}\b/, // US SSN
];

/** A conservative scan: any hit flags the call (the gate then refuses it for distillation). */
export function hasPii(...texts: string[]): boolean {
  return texts.some((t) => PII_PATTERNS.some((re) => re.test(t)));
}

/**
 * Text as PostgreSQL can store it: a NUL (U+0000), which a text value cannot hold, becomes U+FFFD.
 * Without this, an answer with a NUL in it could never be settled: every attempt would call the
 * provider again and be charged in full at its expiry.
 */
export function storableText(text: string): string;
export function storableText(text: string | null): string | null;
export function storableText(text: string | null): string | null {
  return text === null || !text.includes('\u0000') ? text : text.replaceAll('\u0000', '\uFFFD');
}
