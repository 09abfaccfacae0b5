// Dockerfile variable substitution: `$A`, `${A}`, `${A:-x}`, `${A-x}`, `${A:+x}`, `${A+x}`, `${A:?msg}`.

/** `undefined`: the variable is not declared. `null`: declared without a value (empty when used). */
export type Lookup = (name: string) => string | null | undefined;

export interface Expansion {
  value: string;
  /** Variables that had no value and no default, so the result is not what the build will see. */
  unresolved: string[];
  used: string[];
}

export function expand(text: string, lookup: Lookup, escapeChar = '\\'): Expansion {
  const unresolved: string[] = [];
  const used: string[] = [];
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === escapeChar && text[i + 1] === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    if (text[i + 1] === '{') {
      const close = findClose(text, i + 2);
      if (close < 0) {
        out += text.slice(i);
        break;
      }
      out += expandBraced(text.slice(i + 2, close), lookup, escapeChar, unresolved, used);
      i = close + 1;
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1));
    if (!m) {
      out += c;
      i++;
      continue;
    }
    const name = m[0];
    used.push(name);
    const v = lookup(name);
    if (v === undefined || v === null) unresolved.push(name);
    out += v ?? '';
    i += 1 + name.length;
  }
  return { value: out, unresolved, used };
}

function findClose(text: string, from: number): number {
  let depth = 1;
  for (let j = from; j < text.length; j++) {
    if (text[j] === '{') depth++;
    else if (text[j] === '}' && --depth === 0) return j;
  }
  return -1;
}

function expandBraced(inner: string, lookup: Lookup, esc: string, unresolved: string[], used: string[]): string {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])(.*))?$/s.exec(inner);
  if (!m) return '';
  const name = m[1]!;
  const op = m[2];
  used.push(name);
  const v = lookup(name);
  const set = v !== undefined && v !== null;
  const nonEmpty = set && v !== '';
  const word = () => {
    const e = expand(m[3] ?? '', lookup, esc);
    unresolved.push(...e.unresolved);
    used.push(...e.used);
    return e.value;
  };
  switch (op) {
    case ':-':
      return nonEmpty ? v : word();
    case '-':
      return set ? v : word();
    case ':+':
      return nonEmpty ? word() : '';
    case '+':
      return set ? word() : '';
    case ':?':
    case '?':
      if (!set) unresolved.push(name);
      return v ?? '';
    default:
      if (!set) unresolved.push(name);
      return v ?? '';
  }
}

/** BuildKit's automatic platform ARGs; unknown until build time, so never "missing". */
export const AUTOMATIC_ARGS = new Set([
  'BUILDPLATFORM', 'BUILDOS', 'BUILDARCH', 'BUILDVARIANT',
  'TARGETPLATFORM', 'TARGETOS', 'TARGETARCH', 'TARGETVARIANT', 'TARGETSTAGE',
]);
