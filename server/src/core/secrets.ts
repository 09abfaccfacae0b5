// Secret detection for the PL40x rules: literal-token patterns, entropy, masking, secret-like variable names
// and sensitive build-context files. Pure: text and facts in, matches out. A secret value found here must
// never reach a message, a fix or a fingerprint: rules show `maskSecret(value)` only.
import type { BuildContextFacts, ContextFile } from './context.ts';
import { IgnoreMatcher, cleanPath, filesForSource } from './context.ts';
import { memo, type DockerfileModel, type ImageUse, type Instr, type Stage } from './model.ts';
import type { Policy, SecretPattern } from './policy.ts';
import { expand, type Lookup } from './vars.ts';
import { globMatch, globToRegExp } from './glob.ts';
import { TextCache } from './textCache.ts';

// ---------------------------------------------------------------------------------------------------------
// Entropy, placeholders, variables

/** Shannon entropy in bits per character (0 for empty text). */
export function shannonEntropy(text: string): number {
  if (text.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  const n = [...text].length;
  let h = 0;
  for (const c of counts.values()) {
    const p = c / n;
    h -= p * Math.log2(p);
  }
  return h;
}

/**
 * A generic assignment (`password=...`) is only reported when its value looks random: at least
 * `GENERIC_MIN_LENGTH` characters, Shannon entropy of at least `GENERIC_ENTROPY_THRESHOLD` bits per character,
 * and either two character classes (lower, upper, digit, other) or 16+ characters. 3.0 bits keeps
 * `Sup3rS3cret!` (3.3) and random tokens (4+) while dropping dictionary words such as `postgres` (2.75) and
 * `disabled` (2.75); the class rule drops longer plain words such as `development`.
 */
export const GENERIC_ENTROPY_THRESHOLD = 3.0;
export const GENERIC_MIN_LENGTH = 8;

export function looksRandom(value: string): boolean {
  if (value.length < GENERIC_MIN_LENGTH) return false;
  if (shannonEntropy(value) < GENERIC_ENTROPY_THRESHOLD) return false;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(value)).length;
  return classes >= 2 || value.length >= 16;
}

const PLACEHOLDER_WORDS = new Set([
  'password', 'passwd', 'pass', 'pwd', 'secret', 'token', 'apikey', 'api_key', 'key', 'changeme', 'change_me',
  'redacted', 'dummy', 'sample', 'example', 'placeholder', 'none', 'null', 'nil', 'undefined', 'empty', 'test',
  'testing', 'admin', 'default', 'todo', 'tbd', 'fixme', 'secret123', 'password123', 'true', 'false',
]);

/** Obvious stand-ins: `changeme`, `xxx`, `<token>`, `${...}`-looking templates, `your_token_here`, `****`. */
export function isPlaceholder(value: string): boolean {
  const v = value.trim();
  const lower = v.toLowerCase();
  if (v === '' || PLACEHOLDER_WORDS.has(lower)) return true;
  if (/^<.*>$|^\[.*\]$|^\{\{.*\}\}$|^%.*%$|^@.*@$|^__.*__$/.test(v)) return true;
  if (/^(.)\1*$/.test(v)) return true;
  if (/x{4,}|\*{3,}|\.{3}|\u2022/i.test(v)) return true;
  return /change.?me|example|placeholder|redacted|dummy|replace.?(?:me|with)|^your[-_ ]|[-_]here$|^insert[-_ ]|^fake[-_]|^sample[-_]/i.test(lower);
}

/** Shell or Dockerfile variable use (`$X`, `${X}`, `$(cmd)`, backticks): the value is not a literal. */
export function isVariableReference(value: string): boolean {
  return /\$(?:\{|\(|[A-Za-z_])|`/.test(value);
}

function looksLikePath(value: string): boolean {
  if (/^(?:\/|\.\.?\/|~\/|[A-Za-z]:\\)/.test(value)) return true;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return true;
  return /\.(?:pem|key|crt|cer|txt|json|ya?ml|p12|pfx|jks|env|conf|cfg|ini|properties|xml|toml)$/i.test(value);
}

// ---------------------------------------------------------------------------------------------------------
// Secret-like names (PL401 and the generic assignment pattern of PL402)

/** Splits a variable name into lower-case words on `_`, `-`, `.` and camelCase: `npmAuthToken` -> npm, auth, token. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '')
    .map((w) => w.toLowerCase());
}

/**
 * Words that make a name secret-like, as BuildKit's SecretsUsedInArgOrEnv check has them (apikey, auth,
 * credential(s), key, password, pword, passwd, secret, token), plus plurals, `pass` and `passphrase`.
 */
export const SECRET_NAME_WORDS: ReadonlySet<string> = new Set([
  'apikey', 'auth', 'credential', 'credentials', 'key', 'keys', 'password', 'passwords', 'passwd', 'pass',
  'passphrase', 'pword', 'secret', 'secrets', 'token', 'tokens',
]);
/** One-word compounds (`NPMTOKEN`, `DBPASSWORD`, `ACCESSKEY`) count when a word ends with one of these. */
const SECRET_SUFFIXES = ['password', 'passwd', 'passphrase', 'secret', 'token', 'apikey', 'accesskey', 'secretkey', 'privatekey'];
/**
 * Words that, after the last secret word, say the variable holds something about a secret rather than the
 * secret itself: `TOKEN_URL`, `PASSWORD_FILE` (the Docker `_FILE` convention), `AWS_ACCESS_KEY_ID`, `AUTH_TYPE`.
 */
export const SECRET_NAME_QUALIFIERS: ReadonlySet<string> = new Set([
  'file', 'files', 'path', 'dir', 'folder', 'url', 'uri', 'endpoint', 'host', 'hostname', 'server', 'port',
  'name', 'id', 'type', 'length', 'size', 'version', 'timeout', 'ttl', 'expiry', 'header', 'enabled',
  'disabled', 'required', 'mode', 'method', 'provider', 'scope', 'algorithm', 'format', 'plugin', 'helper', 'config',
]);
/**
 * Words that make the whole name public wherever they stand (BuildKit allows `public`): `PUBLIC_KEY`,
 * `GPG_KEY` / `GPG_KEYS` (official images pin release-signing key fingerprints). `private` overrides them.
 */
export const PUBLIC_NAME_WORDS: ReadonlySet<string> = new Set(['public', 'pub', 'gpg', 'pgp']);

/**
 * Every secret word and suffix above contains one of these (and `pwd`), so a name without any is not secret:
 * a cheap test before the word split, which most names (`PATH`, `VERSION`) fail.
 */
const SECRET_NAME_HINT = /key|auth|cred|pass|pword|secret|token|pwd/i;

/**
 * False when no ENV/ARG/LABEL entry of this instruction text can have a secret-like name, so that its entries
 * need not be parsed. The parser builds a name from the text's characters in order, dropping only quotes and
 * escape characters (and, across lines, comments), so on one line a hint word in a name is a hint word in the
 * text, or in its letters and digits when it has quotes or escapes.
 */
export function mayNameSecret(text: string, escapeChar: string): boolean {
  if (SECRET_NAME_HINT.test(text)) return true;
  if (text.includes('\n') || text.includes('\r') || /[A-Za-z0-9]/.test(escapeChar)) return true;
  if (!text.includes('"') && !text.includes("'") && !text.includes(escapeChar)) return false;
  return SECRET_NAME_HINT.test(text.replace(/[^A-Za-z0-9]+/g, ''));
}

/** Words that make a trailing `key` a secret in a generic assignment (`api_key=`, `SECRET_KEY=`, `license_key=`). */
const KEY_QUALIFIERS = new Set([
  'api', 'access', 'secret', 'private', 'signing', 'sign', 'encryption', 'encrypt', 'enc', 'master', 'client',
  'auth', 'app', 'license', 'licence', 'account', 'service', 'session', 'deploy', 'storage', 'admin', 'hmac',
  'jwt', 'shared', 'webhook', 'aes', 'crypto', 'cipher',
]);

export function isAllowedName(name: string, allowedNames: readonly string[]): boolean {
  return allowedNames.some((g) => globMatch(g, name, true));
}

function isSecretWord(word: string, words: readonly string[]): boolean {
  if (SECRET_NAME_WORDS.has(word)) return true;
  if (word === 'pwd') return words.length > 1; // a bare PWD is the shell's working folder
  return SECRET_SUFFIXES.some((s) => word.length > s.length && word.endsWith(s));
}

function isPublic(words: readonly string[]): boolean {
  return !words.includes('private') && words.some((w) => PUBLIC_NAME_WORDS.has(w));
}

/**
 * PL401: a name holds a secret when some secret word is not followed by a qualifier word, no public word
 * appears, and no `secrets.allowedNames` glob (case-insensitive) matches. `GITHUB_TOKEN`, `DB_PASSWORD`,
 * `npmAuthToken` and `SECRET_KEY_BASE` are secret; `TOKEN_URL`, `PASSWORD_FILE`, `AWS_ACCESS_KEY_ID`,
 * `PUBLIC_KEY` and `GPG_KEY` are not.
 */
export function isSecretName(name: string, allowedNames: readonly string[] = []): boolean {
  if (!SECRET_NAME_HINT.test(name)) return false;
  if (isAllowedName(name, allowedNames)) return false;
  const words = nameWords(name);
  if (isPublic(words)) return false;
  for (let i = words.length - 1; i >= 0; i--) {
    const w = words[i]!;
    if (SECRET_NAME_QUALIFIERS.has(w)) return false;
    if (isSecretWord(w, words)) return true;
  }
  return false;
}

/**
 * The generic assignment pattern is stricter than PL401: the last word must name the secret itself
 * (`password`, `token`, `secret`, `auth`, ...; `key` only after `api`, `access`, `secret`, `private`, ...).
 */
export function isSecretAssignmentName(name: string, allowedNames: readonly string[] = []): boolean {
  if (!SECRET_NAME_HINT.test(name)) return false;
  if (isAllowedName(name, allowedNames)) return false;
  const words = nameWords(name);
  const last = words.at(-1);
  if (last === undefined || isPublic(words)) return false;
  if (last === 'key') return words.length > 1 && KEY_QUALIFIERS.has(words.at(-2)!);
  if (last === 'keys' || last === 'tokens' || last === 'secrets' || last === 'passwords') return false;
  return isSecretWord(last, words);
}

/** BuildKit secret id for a variable: `GITHUB_TOKEN` -> `github-token`. */
export function secretIdFor(name: string): string {
  return nameWords(name).join('-') || name.toLowerCase();
}

// ---------------------------------------------------------------------------------------------------------
// Masking

/** Public prefixes masking may keep: they say what the token is without revealing any of it. */
const KNOWN_PREFIXES: readonly RegExp[] = [
  /^github_pat_/,
  /^gh[pousr]_/,
  /^gl(?:pat|ptt|rt|dt)-/,
  /^npm_/,
  /^xox[abposr]-/,
  /^(?:sk|rk)_live_/,
  /^AIza/,
  /^(?:AKIA|ASIA|ABIA|ACCA)/,
  /^https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\//,
];
const MASK = '****';

/**
 * What a finding may show of a secret: a known public prefix (`ghp_`, `AKIA`, `glpat-`) then `****`; a URL
 * as `scheme://user:****@host`; a private key as its BEGIN line only; anything else as `****`.
 */
export function maskSecret(value: string): string {
  const key = /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?-----/.exec(value);
  if (key) return `-----BEGIN ${key[1] ?? ''}PRIVATE KEY${key[2] ?? ''}----- ${MASK}`;
  const url = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^\s:/@]*):[^\s@]*@([^\s/:?#@]+)/.exec(value);
  if (url) {
    const user = url[2]!;
    const shown = user.length >= 16 || knownPrefixLength(user) > 0 || looksRandom(user) ? MASK : user;
    return `${url[1]}://${shown}:${MASK}@${url[3]}`;
  }
  const keep = knownPrefixLength(value);
  return value.slice(0, keep) + MASK;
}

function knownPrefixLength(value: string): number {
  for (const re of KNOWN_PREFIXES) {
    const m = re.exec(value);
    // Keep a prefix only when the rest is long enough to stay secret.
    if (m && value.length - m[0].length >= 8) return m[0].length;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------------------
// Literal tokens

/** One literal secret found in a text: offsets into that text, and the name it is assigned to when known. */
export interface SecretMatch {
  patternId: string;
  description: string;
  start: number;
  end: number;
  value: string;
  name?: string;
}

export interface ScanOptions {
  /** The Dockerfile escape character (`\` or `` ` ``), which ends a bare value before a line break. */
  escapeChar?: string;
  /** `secrets.allowedNames`: generic assignments to these names are not reported. */
  allowedNames?: readonly string[];
}

export interface TokenPattern {
  id: string;
  description: string;
  /** A cheap test that must pass for `scan` to find anything; skips the costly expressions on most text. */
  hint?: (text: string) => boolean;
  scan(text: string, options: ScanOptions): Array<Omit<SecretMatch, 'patternId' | 'description'>>;
}

const NB = '(?<![A-Za-z0-9])';
const NA = '(?![A-Za-z0-9])';

/**
 * A pattern from a regular expression: the token is the named group `secret` when the expression has one
 * (and it took part in the match), else the whole match; `name` names the variable when there is one.
 */
export function regexPattern(
  id: string,
  description: string,
  source: string,
  flags = '',
  accept: (value: string, m: RegExpExecArray) => boolean = () => true,
  hint?: (text: string) => boolean,
): TokenPattern {
  const re = new RegExp(source, `${flags.replace(/[gdy]/g, '')}gd`);
  return {
    id,
    description,
    ...(hint ? { hint } : {}),
    scan(text) {
      const out: Array<Omit<SecretMatch, 'patternId' | 'description'>> = [];
      re.lastIndex = 0;
      let guard = 0;
      for (let m = re.exec(text); m; m = re.exec(text)) {
        if (m[0] === '') {
          re.lastIndex++;
          if (++guard > text.length) break;
          continue;
        }
        const span = m.indices?.groups?.['secret'] ?? m.indices?.[0];
        if (!span) continue;
        const value = text.slice(span[0], span[1]);
        if (value === '' || !accept(value, m)) continue;
        const hit: Omit<SecretMatch, 'patternId' | 'description'> = { start: span[0], end: span[1], value };
        const name = m.groups?.['name'];
        if (name) hit.name = name;
        out.push(hit);
      }
      return out;
    },
  };
}

/** The part after a known prefix is a run of one character, or says EXAMPLE/xxxx: documentation, not a secret. */
function realBody(prefixLength: number) {
  return (value: string) => {
    const body = value.slice(prefixLength);
    return !/^(.)\1*$/.test(body) && !/example|x{6,}|0{8,}/i.test(body) && shannonEntropy(body) >= 2.5;
  };
}

const privateKeyPattern: TokenPattern = {
  id: 'private-key',
  description: 'private key',
  hint: (t) => t.includes('PRIVATE KEY'),
  scan(text) {
    const out: Array<Omit<SecretMatch, 'patternId' | 'description'>> = [];
    const begin = /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK)?-----/g;
    for (let m = begin.exec(text); m; m = begin.exec(text)) {
      const start = m.index;
      const afterBegin = m.index + m[0].length;
      const endMarker = `-----END ${m[1] ?? ''}PRIVATE KEY${m[2] ?? ''}-----`;
      const endAt = text.indexOf(endMarker, afterBegin);
      let end: number | undefined;
      if (endAt >= 0 && /[A-Za-z0-9+/]{32,}/.test(text.slice(afterBegin, endAt))) end = endAt + endMarker.length;
      else {
        // No END marker (or an empty body): a key only when base64 follows directly (`echo "-----BEGIN ...\nMIIE..."`).
        const body = /^(?:\\[nr]|\s|\\)*[A-Za-z0-9+/]{32,}={0,2}/.exec(text.slice(afterBegin));
        if (body) end = afterBegin + body[0].length;
      }
      if (end === undefined) continue;
      out.push({ start, end, value: text.slice(start, end) });
      begin.lastIndex = end;
    }
    return out;
  },
};

const ASSIGN_RE = /(?<![A-Za-z0-9_.$-])(?<!\$\{)(["']?)(-{0,2}[A-Za-z_][A-Za-z0-9_.-]*)\1[ \t]*(:=|=|:(?![/:]))[ \t]*/g;
// `--password value`, and the single-dash long options of PowerShell and .NET tools (`-Password value`).
const FLAG_RE = /(?<![A-Za-z0-9_-])(?:--|-(?=[A-Za-z][A-Za-z0-9-]{3}))([A-Za-z][A-Za-z0-9-]*)[ \t]+(?=[^-\s])/g;

/** Reads one value at `pos`: quoted (the inside) or bare (up to whitespace, a quote or a shell operator). */
function readValue(text: string, pos: number, escapeChar: string): { start: number; end: number } | undefined {
  const q = text[pos];
  if (q === '"' || q === "'") {
    for (let i = pos + 1; i < text.length; i++) {
      const c = text[i]!;
      if (c === '\n' || c === '\r') return undefined;
      if (c === '\\' && q === '"') {
        i++;
        continue;
      }
      if (c === q) return { start: pos + 1, end: i };
    }
    return undefined;
  }
  let i = pos;
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (/[\s"'`;&|<>()]/.test(c)) break;
    if (c === escapeChar && (text[i + 1] === '\n' || text[i + 1] === '\r' || i + 1 === text.length)) break;
  }
  return i > pos ? { start: pos, end: i } : undefined;
}

/** A literal value a generic assignment may report: long, random-looking, not a variable, path or placeholder. */
export function isGenericSecretValue(value: string): boolean {
  if (value.length < GENERIC_MIN_LENGTH) return false;
  if (isVariableReference(value) || isPlaceholder(value) || looksLikePath(value)) return false;
  // Code rather than a value: regexes and templates in sed/awk lines (`password=.*/`).
  if (/[*{}[\]]/.test(value) || /=[^=]/.test(value)) return false;
  return looksRandom(value);
}

const genericPattern: TokenPattern = {
  id: 'generic-secret',
  description: 'secret value',
  // Every secret-like assignment name contains one of these; most text has none.
  hint: (t) => SECRET_NAME_HINT.test(t),
  scan(text, options) {
    const out: Array<Omit<SecretMatch, 'patternId' | 'description'>> = [];
    const esc = options.escapeChar ?? '\\';
    const allowed = options.allowedNames ?? [];
    const consider = (rawName: string, at: number, spaced: boolean) => {
      const name = rawName.replace(/^-+/, '');
      if (!isSecretAssignmentName(name, allowed)) return;
      const v = readValue(text, at, esc);
      if (!v) return;
      const value = text.slice(v.start, v.end);
      if (!isGenericSecretValue(value)) return;
      // `--flag value` is often a file or key name (`--aes-pwd proxy-secret`): ask for letters mixed with digits or case.
      if (spaced && [/[a-z]/, /[A-Z]/, /[0-9]/].filter((re) => re.test(value)).length < 2) return;
      out.push({ start: v.start, end: v.end, value, name });
    };
    ASSIGN_RE.lastIndex = 0;
    for (let m = ASSIGN_RE.exec(text); m; m = ASSIGN_RE.exec(text)) consider(m[2]!, m.index + m[0].length, false);
    FLAG_RE.lastIndex = 0;
    for (let m = FLAG_RE.exec(text); m; m = FLAG_RE.exec(text)) consider(m[1]!, m.index + m[0].length, true);
    return out;
  },
};

const notLiteral = (v: string) => !isVariableReference(v) && !isPlaceholder(v);

/**
 * The built-in patterns, most specific first: when two overlap, the earlier one wins and reports the token
 * (a `ghp_` token in `GITHUB_TOKEN=...` is a GitHub token, not a generic assignment).
 */
export const BUILTIN_PATTERNS: readonly TokenPattern[] = [
  privateKeyPattern,
  regexPattern('aws-access-key-id', 'AWS access key ID', `${NB}(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}${NA}`, '', realBody(4), (t) => /AKIA|ASIA|ABIA|ACCA/.test(t)),
  regexPattern(
    'aws-secret-access-key',
    'AWS secret access key',
    `(?<![A-Za-z0-9_])(?<name>(?:aws[_-]?secret[_-]?(?:access[_-]?)?key|secret[_-]?access[_-]?key))["']?[ \\t]*(?:[:=]|[ \\t])[ \\t]*["']?(?<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])`,
    'i',
    (v) => realBody(0)(v) && shannonEntropy(v) >= 3.5,
    (t) => /secret/i.test(t),
  ),
  regexPattern('github-token', 'GitHub token', `${NB}gh[pousr]_[A-Za-z0-9]{36,251}${NA}`, '', realBody(4), (t) => /gh[pousr]_/.test(t)),
  regexPattern('github-fine-grained-token', 'GitHub fine-grained token', `${NB}github_pat_[A-Za-z0-9_]{50,255}${NA}`, '', realBody(11), (t) => /github_pat_/.test(t)),
  regexPattern('gitlab-token', 'GitLab token', `${NB}gl(?:pat|ptt|rt|dt)-[A-Za-z0-9_-]{20,}(?![A-Za-z0-9_-])`, '', (v) => realBody(v.indexOf('-') + 1)(v), (t) => /gl(?:pat|ptt|rt|dt)-/.test(t)),
  regexPattern('npm-token', 'npm access token', `${NB}npm_[A-Za-z0-9]{36}${NA}`, '', realBody(4), (t) => /npm_/.test(t)),
  regexPattern('slack-token', 'Slack token', `${NB}xox[abposr]-[A-Za-z0-9-]{10,}(?![A-Za-z0-9-])`, '', realBody(5), (t) => /xox[abposr]-/.test(t)),
  regexPattern('slack-webhook', 'Slack webhook URL', 'https://hooks\\.slack\\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/+-]{20,}', '', (v) =>
    realBody(v.indexOf('/', 'https://hooks.slack.com/'.length) + 1)(v),
    (t) => t.includes('hooks.slack.com'),
  ),
  regexPattern('stripe-live-key', 'Stripe live secret key', `${NB}(?:sk|rk)_live_[A-Za-z0-9]{20,}${NA}`, '', realBody(8), (t) => /_live_/.test(t)),
  regexPattern('google-api-key', 'Google API key', `${NB}AIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])`, '', realBody(4), (t) => /AIza/.test(t)),
];

/** After the org's own patterns: URL credentials, Authorization headers, then the generic assignment. */
export const BUILTIN_FALLBACK_PATTERNS: readonly TokenPattern[] = [
  regexPattern(
    'url-password',
    'URL with a password',
    '(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://[^\\s:/@"\'`]*:(?<pass>[^\\s@/"\'`]+)@[^\\s/:"\'`?#@]+',
    '',
    (_v, m) => notLiteralPassword(m.groups?.['pass'] ?? ''),
    (t) => t.includes('://') && t.includes('@'),
  ),
  regexPattern(
    'authorization-header',
    'Authorization header credential',
    '(?<![A-Za-z0-9-])(?:Proxy-)?Authorization[ \\t]*:[ \\t]*(?:Basic|Bearer|Token)[ \\t]+(?<secret>[^\\s"\'`\\\\;,]+)',
    'i',
    (v) => v.length >= 8 && notLiteral(v),
    (t) => /authorization/i.test(t),
  ),
  genericPattern,
];

function notLiteralPassword(pass: string): boolean {
  return pass !== '' && notLiteral(pass);
}

/** The policy's `secrets.patterns`, compiled; an invalid expression is skipped (the policy loader reports it). */
export function compilePolicyPatterns(patterns: readonly SecretPattern[]): TokenPattern[] {
  const out: TokenPattern[] = [];
  for (const p of patterns) {
    try {
      out.push(regexPattern(`policy:${p.id}`, p.description || p.id, p.regex));
    } catch {
      // reported by the policy loader
    }
  }
  return out;
}

const patternCache = new WeakMap<readonly SecretPattern[], TokenPattern[]>();
const BUILTIN_ONLY: TokenPattern[] = [...BUILTIN_PATTERNS, ...BUILTIN_FALLBACK_PATTERNS];

/** Every pattern in force, in priority order; compiled once per policy (its pattern list is kept as the key). */
export function secretPatterns(policyPatterns: readonly SecretPattern[] = []): TokenPattern[] {
  // Policies without patterns of their own share one list, and so one cache of answers (secretFinder): the
  // editor builds a fresh default policy for every check of a file that no policy covers.
  if (policyPatterns.length === 0) return BUILTIN_ONLY;
  let hit = patternCache.get(policyPatterns);
  if (!hit) {
    hit = [...BUILTIN_PATTERNS, ...compilePolicyPatterns(policyPatterns), ...BUILTIN_FALLBACK_PATTERNS];
    patternCache.set(policyPatterns, hit);
  }
  return hit;
}

/**
 * Finds literal secrets in `text`: one match per token, never overlapping. Patterns earlier in the list win
 * an overlap, then the earlier start.
 */
export function findSecrets(text: string, patterns: readonly TokenPattern[], options: ScanOptions = {}): SecretMatch[] {
  const accepted: SecretMatch[] = [];
  for (const p of patterns) {
    if (p.hint && !p.hint(text)) continue;
    for (const hit of p.scan(text, options)) {
      if (accepted.some((a) => hit.start < a.end && a.start < hit.end)) continue;
      accepted.push({ patternId: p.id, description: p.description, ...hit });
    }
  }
  return accepted.sort((a, b) => a.start - b.start);
}

/** What secretFinder answers: shared between callers and lints, so frozen. */
export type SecretMatches = ReadonlyArray<Readonly<SecretMatch>>;

const finders = new WeakMap<readonly TokenPattern[], Map<string, TextCache<SecretMatches>>>();
const NO_MATCHES: SecretMatches = Object.freeze([]);

/**
 * findSecrets for one pattern list and options, with the answers kept per text across lints (see
 * textCache.ts). Pattern lists are compiled once per policy (secretPatterns), so they key the caches.
 */
export function secretFinder(patterns: readonly TokenPattern[], options: ScanOptions = {}): (text: string) => SecretMatches {
  let byOptions = finders.get(patterns);
  if (!byOptions) finders.set(patterns, (byOptions = new Map()));
  const escapeChar = options.escapeChar ?? '\\';
  const allowedNames = [...(options.allowedNames ?? [])];
  const key = JSON.stringify([escapeChar, allowedNames]);
  let cache = byOptions.get(key);
  if (!cache) {
    cache = new TextCache((text) => {
      const found = findSecrets(text, patterns, { escapeChar, allowedNames });
      // Nearly every text has none: they share one empty answer.
      return found.length === 0 ? NO_MATCHES : Object.freeze(found.map((m) => Object.freeze(m)));
    });
    byOptions.set(key, cache);
  }
  const found = cache;
  return (text) => found.get(text);
}

// ---------------------------------------------------------------------------------------------------------
// Sensitive files in the build context

export interface SensitiveHit {
  /** Context path of the file, or of the folder when the whole folder is sensitive (`.git`). */
  path: string;
  kind: 'file' | 'folder';
  what: string;
}

interface SensitiveRule {
  glob: string;
  what: string;
  folder: boolean;
  re: RegExp;
  /** Basenames that the glob matches but that are not sensitive (`.env.example`, `id_rsa.pub`). */
  except?: RegExp;
}

/**
 * The built-in sensitive paths. A glob without `/` matches a basename at any depth; one with `/` matches a
 * path suffix at a folder boundary (or from the root when it starts with `/`); one ending in `/` or `/**`
 * names a folder, reported once rather than file by file.
 */
export const BUILTIN_SENSITIVE_FILES: ReadonlyArray<{ glob: string; what: string; except?: string }> = [
  { glob: '.env', what: 'environment file' },
  { glob: '.env.*', what: 'environment file', except: '^\\.env\\.(?:example|sample|template|dist|defaults)$' },
  { glob: 'id_rsa', what: 'SSH private key' },
  { glob: 'id_dsa', what: 'SSH private key' },
  { glob: 'id_ecdsa', what: 'SSH private key' },
  { glob: 'id_ed25519', what: 'SSH private key' },
  { glob: 'id_ecdsa_sk', what: 'SSH private key' },
  { glob: 'id_ed25519_sk', what: 'SSH private key' },
  { glob: '*.pem', what: 'PEM key or certificate' },
  { glob: '*.key', what: 'private key' },
  { glob: '*.p12', what: 'PKCS#12 key store' },
  { glob: '*.pfx', what: 'PKCS#12 key store' },
  { glob: '*.jks', what: 'Java key store' },
  { glob: '*.keystore', what: 'key store' },
  { glob: '.npmrc', what: 'npm config (registry tokens)' },
  { glob: '.pypirc', what: 'PyPI config (upload credentials)' },
  { glob: '.netrc', what: 'netrc credentials' },
  { glob: '.pgpass', what: 'PostgreSQL password file' },
  { glob: '.git-credentials', what: 'Git credential store' },
  { glob: '.aws/credentials', what: 'AWS credentials' },
  { glob: '.docker/config.json', what: 'Docker registry credentials' },
  { glob: '.ssh/**/*', what: 'SSH folder file', except: '\\.pub$|^known_hosts(?:\\.old)?$|^authorized_keys2?$|^config$' },
  { glob: '.git/', what: 'Git repository data' },
  { glob: '*.tfstate', what: 'Terraform state' },
  { glob: '*.tfstate.backup', what: 'Terraform state' },
  { glob: '.htpasswd', what: 'htpasswd file' },
  { glob: 'credentials.json', what: 'credentials file' },
];

function compileSensitive(glob: string, what: string, except?: string): SensitiveRule {
  let g = glob.trim().replace(/\\/g, '/');
  let folder = false;
  if (g.endsWith('/**')) {
    folder = true;
    g = g.slice(0, -3);
  } else if (g.endsWith('/')) {
    folder = true;
    g = g.replace(/\/+$/, '');
  }
  const anchored = g.startsWith('/');
  g = g.replace(/^\/+/, '');
  const body = globToRegExp(g).source.slice(1, -1);
  const re = new RegExp(anchored ? `^${body}$` : `^(?:.*/)?${body}$`);
  const rule: SensitiveRule = { glob, what, folder, re };
  if (except) rule.except = new RegExp(except);
  return rule;
}

const sensitiveCache = new WeakMap<readonly string[], SensitiveFiles>();
let builtinSensitive: SensitiveFiles | undefined;

/** The sensitive-file matcher for a policy's extra globs, compiled once per policy. */
export function sensitiveFilesFor(extraGlobs: readonly string[]): SensitiveFiles {
  // One matcher (and its answers) for every policy without globs of its own, as for secretPatterns.
  if (extraGlobs.length === 0) return (builtinSensitive ??= new SensitiveFiles());
  let hit = sensitiveCache.get(extraGlobs);
  if (!hit) {
    hit = new SensitiveFiles(extraGlobs);
    sensitiveCache.set(extraGlobs, hit);
  }
  return hit;
}

export class SensitiveFiles {
  private readonly rules: SensitiveRule[];
  /** First folders of built-in globs with a `/` (`.aws`, `.docker`, `.ssh`, `.git`): copying them whole is sensitive. */
  private readonly folders: Set<string>;

  constructor(extraGlobs: readonly string[] = []) {
    this.rules = [
      ...BUILTIN_SENSITIVE_FILES.map((s) => compileSensitive(s.glob, s.what, s.except)),
      ...extraGlobs.filter((g) => g.trim() !== '').map((g) => compileSensitive(g, `matches secrets.sensitiveFiles ${g}`)),
    ];
    this.folders = new Set(BUILTIN_SENSITIVE_FILES.map((s) => s.glob.split('/')).filter((p) => p.length > 1).map((p) => p[0]!));
  }

  // Answers per path and per source, kept across lints (see textCache.ts): each is some thirty expressions.
  private readonly matches = new TextCache((path) => frozenHit(this.matchPath(path)));
  private readonly literals = new TextCache((source) => frozenHit(this.matchSource(source)));

  /** Whether a context file is sensitive, and what to report: the file, or the sensitive folder holding it. */
  match(path: string): Readonly<SensitiveHit> | undefined {
    return this.matches.get(path) ?? undefined;
  }

  /**
   * Without build-context facts: a COPY source that names a sensitive file or folder by itself (`id_rsa`,
   * `.git`, `.aws/`), or a glob that reads like one (`*.pem`).
   */
  matchLiteral(source: string): Readonly<SensitiveHit> | undefined {
    return this.literals.get(source) ?? undefined;
  }

  private matchPath(path: string): SensitiveHit | undefined {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      for (const r of this.rules) if (r.folder && r.re.test(dir)) return { path: dir, kind: 'folder', what: r.what };
    }
    const base = parts.at(-1)!;
    for (const r of this.rules) {
      if (r.folder || !r.re.test(path)) continue;
      if (r.except?.test(base)) continue;
      return { path, kind: 'file', what: r.what };
    }
    return undefined;
  }

  private matchSource(source: string): SensitiveHit | undefined {
    const path = cleanPath(source.replace(/^\/+/, ''));
    if (path === '.' || path.startsWith('..')) return undefined;
    for (const r of this.rules) if (r.folder && r.re.test(path)) return { path, kind: 'folder', what: r.what };
    const asFile = this.matchPath(path);
    if (asFile) return asFile;
    const base = path.split('/').at(-1)!;
    if (this.folders.has(base)) return { path, kind: 'folder', what: 'credentials folder' };
    return undefined;
  }
}

function frozenHit(hit: SensitiveHit | undefined): Readonly<SensitiveHit> | null {
  return hit ? Object.freeze(hit) : null;
}

/** What one COPY/ADD source takes, as context files (when the context is known) or as its literal name. */
export interface SourceHits {
  hits: ReadonlyArray<Readonly<SensitiveHit>>;
  /** The context files the source takes (empty without facts). */
  files: readonly ContextFile[];
  byFacts: boolean;
}

const NO_LITERAL_HITS: SourceHits = Object.freeze({ hits: Object.freeze([]), files: Object.freeze([]), byFacts: false });

export function sensitiveHitsForSource(
  source: string,
  facts: BuildContextFacts | undefined,
  ignore: IgnoreMatcher,
  sensitive: SensitiveFiles,
): SourceHits {
  if (!facts) {
    // The literal name only; most sources name nothing sensitive, and share one answer.
    const h = sensitive.matchLiteral(source);
    return h ? { hits: [h], files: [], byFacts: false } : NO_LITERAL_HITS;
  }
  const hits = new Map<string, Readonly<SensitiveHit>>();
  const files = filesForSource(source, facts, ignore);
  for (const f of files) {
    const h = sensitive.match(f.path);
    if (h && !hits.has(h.path)) hits.set(h.path, h);
  }
  // A truncated walk may have missed the file; the literal name still says enough.
  if (facts.truncated) {
    const h = sensitive.matchLiteral(source);
    if (h && !hits.has(h.path)) hits.set(h.path, h);
  }
  return { hits: [...hits.values()], files, byFacts: true };
}

// ---------------------------------------------------------------------------------------------------------
// Variables and WORKDIR at an instruction (for COPY sources and destinations)

function mapLookup(vars: Map<string, string | null>): Lookup {
  return (name) => (vars.has(name) ? vars.get(name)! : undefined);
}

/** ARG/ENV values in force just before `instr`, from the defaults written in the file. */
export function lookupAt(model: DockerfileModel, instr: Instr): Lookup {
  const globals = new Map<string, string | null>();
  for (const g of model.globalArgs) {
    if (g.index >= instr.index) break;
    for (const p of g.properties) globals.set(p.name, p.value === null ? (globals.get(p.name) ?? null) : expand(p.value, mapLookup(globals)).value);
  }
  const stage = instr.stage;
  if (!stage) return mapLookup(globals);
  const vars = new Map<string, string | null>();
  for (const i of stage.instructions) {
    if (i.index >= instr.index) break;
    if (i.keyword === 'ARG') {
      for (const p of i.properties) vars.set(p.name, p.value === null ? (globals.get(p.name) ?? null) : expand(p.value, mapLookup(vars), model.escapeChar).value);
    } else if (i.keyword === 'ENV') {
      for (const p of i.properties) vars.set(p.name, expand(p.value ?? '', mapLookup(vars), model.escapeChar).value);
    }
  }
  return mapLookup(vars);
}

/** Expands a COPY source or path with the variables in force; undefined when a variable has no value. */
export function expandAt(model: DockerfileModel, instr: Instr, text: string): string | undefined {
  if (!text.includes('$')) return text;
  const e = expand(text, lookupAt(model, instr), model.escapeChar);
  return e.unresolved.length > 0 ? undefined : e.value;
}

/** The WORKDIR in force just before `instr` (inherited from a parent stage; `/` by default). */
export function workdirAt(model: DockerfileModel, instr: Instr): string {
  const stage = instr.stage;
  if (!stage) return '/';
  // PL404 asks about every RUN after each sensitive COPY: the stage is walked once per model, not per question.
  return memo(stage.from, WORKDIRS, () => workdirsOf(model, stage)).get(instr.index) ?? workdirIn(model, stage, instr.index, 0);
}

const WORKDIRS = Symbol('plimsoll.workdirs');

/** The WORKDIR just before each instruction of a stage, by instruction index (what workdirIn gives at depth 0). */
function workdirsOf(model: DockerfileModel, stage: Stage): Map<number, string> {
  const out = new Map<number, string>();
  const parent = stage.image.stageRef;
  let dir = parent ? workdirIn(model, parent, Number.MAX_SAFE_INTEGER, 1) : '/';
  for (const i of stage.instructions) {
    out.set(i.index, dir);
    if (i.keyword === 'WORKDIR') dir = afterWorkdir(model, i, dir);
  }
  return out;
}

function workdirIn(model: DockerfileModel, stage: Stage, before: number, depth: number): string {
  const parent = stage.image.stageRef;
  let dir = parent && depth < 16 ? workdirIn(model, parent, Number.MAX_SAFE_INTEGER, depth + 1) : '/';
  for (const i of stage.instructions) {
    if (i.index >= before) break;
    if (i.keyword === 'WORKDIR') dir = afterWorkdir(model, i, dir);
  }
  return dir;
}

function afterWorkdir(model: DockerfileModel, i: Instr, dir: string): string {
  const raw = i.args.map((a) => a.value).join(' ');
  const value = expandAt(model, i, raw) ?? raw;
  return cleanPath(value.startsWith('/') ? value : `${dir}/${value}`);
}

// ---------------------------------------------------------------------------------------------------------
// Image references that would show a secret

/**
 * True when showing what a reference resolves to would show a secret: it is built from an ARG whose name
 * says it holds one (`FROM node:\${NPM_TOKEN}`), or the resolved text holds a literal secret. Reports then
 * show the reference as written, with its variables unexpanded.
 */
export function revealsSecret(use: ImageUse, policy: Policy): boolean {
  if (use.resolved === use.written && !use.written.includes('$')) {
    return findSecrets(use.written, secretPatterns(policy.secrets.patterns)).length > 0;
  }
  const names = [...use.written.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);
  if (names.some((n) => isSecretName(n, policy.secrets.allowedNames))) return true;
  return findSecrets(use.resolved, secretPatterns(policy.secrets.patterns)).length > 0;
}

/** The reference as written, with any literal secret in it masked (`node:npm_****`). */
export function maskedWritten(use: ImageUse, policy: Policy): string {
  const hits = findSecrets(use.written, secretPatterns(policy.secrets.patterns));
  let out = use.written;
  for (const h of [...hits].reverse()) out = out.slice(0, h.start) + maskSecret(h.value) + out.slice(h.end);
  return out;
}
