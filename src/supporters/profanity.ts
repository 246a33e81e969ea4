import type { RegExpMatcher } from 'obscenity';

/** What `prefilteredHasMatch` reads of obscenity's matcher: not its public API, hence checked. */
interface MatcherInternals {
  blacklistedTerms: Array<{ regExp: RegExp }>;
  blacklistMatcherTransformers: unknown;
  applyTransformers(input: string, transformers: unknown): [number[], string];
}

function internalsOf(matcher: RegExpMatcher): MatcherInternals | null {
  const internals = matcher as unknown as Partial<MatcherInternals>;
  const usable =
    Array.isArray(internals.blacklistedTerms) &&
    internals.blacklistedTerms.every((term) => term.regExp instanceof RegExp) &&
    typeof internals.applyTransformers === 'function' &&
    internals.blacklistMatcherTransformers !== undefined;
  return usable ? (internals as MatcherInternals) : null;
}

/** One expression matching wherever any of `patterns` does, or null if their flags differ. */
function anyOf(patterns: RegExp[]): RegExp | null {
  // Flags that change what a pattern matches, not where a search starts.
  const flags = new Set(patterns.map((pattern) => pattern.flags.replace(/[gy]/g, '')));
  const [shared] = flags;
  if (flags.size !== 1 || shared === undefined) return null;
  return new RegExp(patterns.map((pattern) => `(?:${pattern.source})`).join('|'), shared);
}

/**
 * `matcher.hasMatch`, answered faster when there is no match. obscenity runs each of its patterns
 * over the text in turn (about 120 for English: ~25 µs a name, the dearest step of a text); one
 * expression joining them all tells in ~2 µs that none matches, and only a text it flags goes
 * through `hasMatch`, whose whitelist may still clear it. Should a later obscenity keep its
 * patterns elsewhere, this is plain `hasMatch`.
 */
export function prefilteredHasMatch(matcher: RegExpMatcher): (text: string) => boolean {
  const internals = internalsOf(matcher);
  const anyPattern = internals && anyOf(internals.blacklistedTerms.map((term) => term.regExp));
  if (!internals || !anyPattern) return (text) => matcher.hasMatch(text);
  return (text) => {
    const [, transformed] = internals.applyTransformers(text, internals.blacklistMatcherTransformers);
    return anyPattern.test(transformed) && matcher.hasMatch(text);
  };
}
