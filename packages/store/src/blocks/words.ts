/**
 * How the embedded store splits message text into words: the same rule the search engines' analyser uses (`layout.ts`)
 * and the earlier SQLite FTS5 `unicode61 remove_diacritics 2` tokenizer had, so free text means the same on every
 * adapter: runs of letters and digits, case-folded, with accents removed; everything else separates words. `10.0.0.1`
 * is the four words `10 0 0 1`, and a phrase matches as that sequence.
 */

const SEPARATORS = /[^\p{L}\p{N}]+/u;
const MARKS = /\p{M}+/gu;
/** Only text outside ASCII needs the (slow) Unicode decomposition. */
const NON_ASCII = /[^\x00-\x7f]/;

/** The words of a text, in order. */
export function wordsOf(text: string): string[] {
  let folded = text.toLowerCase();
  if (NON_ASCII.test(folded)) folded = folded.normalize('NFKD').replace(MARKS, '');
  const words = folded.split(SEPARATORS);
  // split leaves an empty string at either end when the text starts or ends with a separator
  if (words.length > 0 && words[0] === '') words.shift();
  if (words.length > 0 && words[words.length - 1] === '') words.pop();
  return words;
}

/** Any ASCII letter or digit: a word, whatever the rest of the text holds. */
const ASCII_WORD = /[a-zA-Z0-9]/;

/** Whether `wordsOf(text)` would find a word, without splitting the text (it is asked of every stored message). */
export function hasWord(text: string): boolean {
  if (ASCII_WORD.test(text)) return true;
  return NON_ASCII.test(text) && wordsOf(text).length > 0;
}

/**
 * True when `words` holds `phrase` as consecutive words; with `prefix`, the phrase's last word may be the start of a
 * word. An empty phrase (text with no letters or digits, such as `*`) matches nothing, as in FTS5.
 */
export function containsPhrase(words: readonly string[], phrase: readonly string[], prefix: boolean): boolean {
  const n = phrase.length;
  if (n === 0) return false;
  const last = n - 1;
  outer: for (let i = 0; i + n <= words.length; i++) {
    for (let j = 0; j < last; j++) if (words[i + j] !== phrase[j]) continue outer;
    const word = words[i + last]!;
    if (prefix ? word.startsWith(phrase[last]!) : word === phrase[last]) return true;
  }
  return false;
}
