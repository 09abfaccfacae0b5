// Globs for policy patterns: `*` and `?` stay within one `/` segment, `**` crosses segments.
const cache = new Map<string, RegExp>();

export function globToRegExp(pattern: string, flags = ''): RegExp {
  const key = `${flags}\0${pattern}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let src = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        // `**/` also matches nothing, so `a/**/b` matches `a/b`.
        if (pattern[i + 1] === '/') {
          i++;
          src += '(?:.*/)?';
        } else src += '.*';
      } else src += '[^/]*';
    } else if (c === '?') src += '[^/]';
    else src += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  const re = new RegExp(`^${src}$`, flags);
  cache.set(key, re);
  return re;
}

export function globMatch(pattern: string, text: string, caseInsensitive = false): boolean {
  return globToRegExp(pattern, caseInsensitive ? 'i' : '').test(text);
}
