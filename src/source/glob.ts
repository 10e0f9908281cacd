/** Minimal glob matching for service patterns: `**`, `*`, `?`, `{a,b}`, `[...]`. Pure. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let i = 0;
  let inBrace = 0;
  while (i < glob.length) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // `**/` matches zero or more directories; a trailing `**` matches everything below
        const slash = glob[i + 2] === '/';
        re += slash ? '(?:[^/]*/)*' : '.*';
        i += slash ? 3 : 2;
        continue;
      }
      re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      inBrace++;
      re += '(?:';
    } else if (c === '}' && inBrace > 0) {
      inBrace--;
      re += ')';
    } else if (c === ',' && inBrace > 0) re += '|';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end > i) {
        re += '[' + glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\') + ']';
        i = end + 1;
        continue;
      }
      re += '\\[';
    } else re += /[.+^$()|\\]/.test(c) ? '\\' + c : c;
    i++;
  }
  return new RegExp('^' + re + '$');
}

/** Files (sorted) matching any of the patterns; patterns starting with `!` exclude. */
export function matchGlobs(files: readonly string[], patterns: readonly string[]): string[] {
  const include = patterns.filter((p) => !p.startsWith('!')).map((p) => globToRegExp(p.replace(/^\.\//, '')));
  const exclude = patterns.filter((p) => p.startsWith('!')).map((p) => globToRegExp(p.slice(1).replace(/^\.\//, '')));
  return files.filter((f) => include.some((r) => r.test(f)) && !exclude.some((r) => r.test(f))).sort();
}

/**
 * Whether a directory could hold a file matching one of the (include) patterns: its path agrees
 * with a pattern's literal leading segments and the pattern reaches below it. Over-approximates
 * (`**` reaches everywhere), which is what callers reporting an unreadable directory want.
 */
export function couldHoldMatches(dir: string, patterns: readonly string[]): boolean {
  if (dir === '.' || dir === '') return patterns.some((p) => !p.startsWith('!'));
  const d = dir.split('/');
  return patterns.some((pattern) => {
    if (pattern.startsWith('!')) return false;
    const segs = pattern.replace(/^\.\//, '').split('/');
    for (let i = 0; i < d.length; i++) {
      const s = segs[i];
      if (s === undefined) return false;
      if (s.includes('**')) return true;
      if (!globToRegExp(s).test(d[i]!)) return false;
    }
    return segs.length > d.length;
  });
}
