/**
 * Tool-name globs for allow and deny lists (`read_*`, `*_file`, `{get,list}_*`). picomatch does the matching; names
 * have no path separators, so `*` matches any run of characters.
 */
import picomatch from 'picomatch';

export type NameMatcher = (name: string) => boolean;

export function createNameMatcher(globs: readonly string[]): NameMatcher {
  if (globs.length === 0) return () => false;
  const isMatch = picomatch([...globs], { dot: true, nocase: false });
  return (name) => isMatch(name);
}
