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
