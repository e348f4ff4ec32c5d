/**
 * The local provider's embeddings: deterministic, and meaningful enough for the semantic cache's
 * tests and demo. A text becomes a bag of hashed features (the "hashing trick"):
 *   - word unigrams, lower-cased, accents folded, contractions and possessives undone, lightly
 *     stemmed ("spending", "spends" -> "spend"; "summarise" -> "summarize"); function words
 *     ("the", "how", "my") weigh a fifth of a content word;
 *   - bigrams of consecutive content words (word order matters a little);
 *   - character trigrams of each content word, sharing 0.6 of a word's weight (near spellings);
 *   - one feature naming the whole set of content words, a quarter of the squared norm, so that a
 *     changed content word (another service, month, tenant, number, direction) costs the same
 *     whatever the length of the text.
 * Each feature adds +w or -w (sign from its hash, FNV-1a + murmur3 finalizer, so that unrelated
 * collisions cancel on average) to one of `dims` coordinates; the vector is L2-normalised, so
 * cosine similarity is a dot product.
 *
 * Measured on the sentence pairs of test/ts/semantic-embeddings.test.ts (256 dims): rewordings
 * that keep the content words (function words, order, inflection, spelling, contractions,
 * punctuation, case) 0.938 to 0.998; one content word changed ("EC2" -> "RDS", "up" -> "down",
 * "30" -> "90 days") 0.569 to 0.666; unrelated questions -0.064 to 0.023. It knows no synonyms
 * ("largest" vs "biggest": 0.614) and no irregular verbs ("spend" vs "spent": 0.595):
 * a real embedding model is what production uses (docs/semantic-cache.md).
 */
/** Default width of the local embeddings (OpenAI's text-embedding-3-small has 1536). */
export const MOCK_EMBEDDING_DIMS = 256;

const STOPWORDS = new Set(
  (
    'a an and are as at be been but by can could did do does for from had has have how i if in into is it its ' +
    'me my of on or our please so than that the their them then there these they this to us was we were what ' +
    'when where which who why will with would you your'
  ).split(' '),
);

const FUNCTION_WORD_WEIGHT = 0.2;
const BIGRAM_WEIGHT = 0.5;
const TRIGRAM_WORD_WEIGHT = 0.6;
/** Share of the squared norm given to the one feature naming the whole set of content words. */
const CONTENT_SET_SHARE = 0.25;

/** Lower-cased words of letters and digits (accents folded). */
export function words(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/\bcannot\b|\bcan['\u2019]t\b/g, 'can not')
    .replace(/\bwon['\u2019]t\b/g, 'will not')
    .replace(/n['\u2019]t\b/g, ' not')
    .replace(/['\u2019]s\b/g, '')
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/** A crude English stemmer: enough to fold plurals and -ing/-ed forms. */
export function stem(w: string): string {
  if (w.length <= 3) return w;
  // [pattern, replacement, fold a doubled final consonant ("running" -> "runn" -> "run")]
  const rules: Array<[RegExp, string, boolean]> = [
    [/ies$/, 'y', false],
    [/(ss)es$/, '$1', false],
    [/([^s])s$/, '$1', false],
    [/(..)ing$/, '$1', true],
    [/(..)ed$/, '$1', true],
    [/(..)ly$/, '$1', false],
    [/(...)is(e|ation)$/, '$1iz$2', false],
  ];
  for (const [re, to, undouble] of rules) {
    if (!re.test(w)) continue;
    const s = w.replace(re, to);
    return undouble ? s.replace(/([^aeiouls])\1$/, '$1') : s;
  }
  return w;
}

/** FNV-1a over UTF-16 code units with murmur3's finalizer: fast, deterministic, well spread. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function addFeature(v: Float64Array, feature: string, weight: number): void {
  const h = hash32(feature);
  // Low bits choose the coordinate, the top bit the sign.
  v[(h & 0x7fffffff) % v.length]! += (h >>> 31 ? 1 : -1) * weight;
}

/** The embedding of `text`: `dims` numbers, L2 norm 1. */
export function mockEmbedding(text: string, dims = MOCK_EMBEDDING_DIMS): number[] {
  const v = new Float64Array(dims);
  const ws = words(text);
  const content: string[] = [];
  for (const w of ws) {
    const s = stem(w);
    if (STOPWORDS.has(w)) {
      addFeature(v, `w:${s}`, FUNCTION_WORD_WEIGHT);
      continue;
    }
    content.push(s);
    addFeature(v, `w:${s}`, 1);
    const padded = `#${w}#`;
    const grams = padded.length - 2;
    for (let i = 0; i < grams; i++) addFeature(v, `c:${padded.slice(i, i + 3)}`, TRIGRAM_WORD_WEIGHT / Math.sqrt(grams));
  }
  for (let i = 1; i < content.length; i++) addFeature(v, `b:${content[i - 1]} ${content[i]}`, BIGRAM_WEIGHT);
  let rest = 0;
  for (const x of v) rest += x * x;
  // Text without words (punctuation, emoji) still gets a direction of its own, never the zero vector.
  if (rest === 0) addFeature(v, `t:${text.trim()}`, 1);
  if (content.length > 0) {
    addFeature(v, `s:${[...new Set(content)].sort().join(' ')}`, Math.sqrt((rest * CONTENT_SET_SHARE) / (1 - CONTENT_SET_SHARE)));
  }
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  return Array.from(v, (x) => (norm > 0 ? x / norm : 0));
}

/** Cosine similarity of two vectors of the same length (0 when either is the zero vector). */
export function cosine(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`cosine: lengths differ (${a.length} vs ${b.length})`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}
