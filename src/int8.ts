/**
 * The one zod helper for Postgres int8 values (money in micro-USD, token counts that feed money).
 * Money never passes through `number`: a float would silently round, so floats are rejected and
 * numbers are only accepted while they are exact (safe integers).
 */
import { z } from 'zod';

const INT8_MIN = -(2n ** 63n);
const INT8_MAX = 2n ** 63n - 1n;

/** bigint, safe-integer number, or a decimal integer string (no sign '+', no leading zeros, no exponent). */
export const int8 = z
  .union([z.bigint(), z.int(), z.string().regex(/^-?(0|[1-9][0-9]{0,18})$/, 'must be an integer string')])
  .transform((v) => BigInt(v))
  .refine((v) => v >= INT8_MIN && v <= INT8_MAX, 'out of int8 range');

/** Non-negative int8, e.g. a price in micro-USD per million tokens. */
export const micros = int8.refine((v) => v >= 0n, 'must be non-negative');
