// Which writing systems a word's letters come from, to tell a name that only looks like another
// ("Аnna" with a Cyrillic А beside "Anna"). A word may use one script, or the mixes that real
// writing uses (Japanese: Han with kana; Korean: Han with Hangul; Chinese: Han with Bopomofo;
// each also with Latin), the rule of Unicode's "highly restrictive" profile (UTS #39 §5.2),
// applied per word, so that "iPhone Анны" is fine while "Аnna" is not. Pure, no imports.

/** The scripts whose letters look like another's; letters of other scripts are not counted. */
const SCRIPTS = [
  'Latin', 'Greek', 'Cyrillic', 'Armenian', 'Georgian', 'Cherokee', 'Hebrew', 'Arabic', 'Syriac', 'Thaana',
  'Devanagari', 'Bengali', 'Gurmukhi', 'Gujarati', 'Oriya', 'Tamil', 'Telugu', 'Kannada', 'Malayalam', 'Sinhala',
  'Thai', 'Lao', 'Tibetan', 'Myanmar', 'Khmer', 'Mongolian', 'Ethiopic', 'Han', 'Hiragana', 'Katakana', 'Hangul', 'Bopomofo',
] as const;
type Script = (typeof SCRIPTS)[number];

const TESTS = SCRIPTS.map((name) => [name, new RegExp(`^\\p{Script=${name}}$`, 'u')] as const);

/** The mixes of scripts that real writing uses in one word. */
const ALLOWED_MIXES: readonly (readonly Script[])[] = [
  ['Latin', 'Han', 'Hiragana', 'Katakana'],
  ['Latin', 'Han', 'Hangul'],
  ['Latin', 'Han', 'Bopomofo'],
];

function scriptOf(ch: string): Script | null {
  for (const [name, re] of TESTS) if (re.test(ch)) return name;
  return null;
}

/** A word whose letters come from scripts no writing mixes, with those scripts; null when every word is fine. */
export function mixedScripts(text: string): { word: string; scripts: Script[] } | null {
  for (const word of text.split(/[^\p{L}\p{M}\p{N}]+/u)) {
    const scripts = new Set<Script>();
    for (const ch of word) {
      const s = scriptOf(ch);
      if (s) scripts.add(s);
    }
    if (scripts.size < 2) continue;
    if (ALLOWED_MIXES.some((mix) => [...scripts].every((s) => mix.includes(s)))) continue;
    return { word, scripts: [...scripts] };
  }
  return null;
}
