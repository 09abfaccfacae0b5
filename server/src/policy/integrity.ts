// Subresource-integrity pins for policies fetched by URL (`integrity: sha256-<base64>`), as browsers
// write them for scripts. One hash per pin; the fetched bytes must hash to it exactly.
import type * as Crypto from 'node:crypto';

/** node:crypto costs milliseconds to load and only a policy extended by URL is hashed: it loads on the first hash. */
function createHash(algorithm: IntegrityAlgorithm): Crypto.Hash {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a require in a function is what keeps it lazy in the bundle
  return (require('node:crypto') as typeof Crypto).createHash(algorithm);
}

const ALGORITHMS = { sha256: 32, sha384: 48, sha512: 64 } as const;
export type IntegrityAlgorithm = keyof typeof ALGORITHMS;

const INTEGRITY_RE = /^(sha256|sha384|sha512)-([A-Za-z0-9+/]+={0,2})$/;

export interface Integrity {
  algorithm: IntegrityAlgorithm;
  /** The digest bytes, base64 as written. */
  base64: string;
}

/** Why `text` is not a usable pin, or undefined when it is one. */
export function integrityProblem(text: string): string | undefined {
  const m = INTEGRITY_RE.exec(text.trim());
  if (!m) return `"${text}" is not an integrity pin; write sha256-<base64 of the SHA-256 of the file>, e.g. the output of: openssl dgst -sha256 -binary policy.yaml | openssl base64 -A.`;
  const algorithm = m[1] as IntegrityAlgorithm;
  const bytes = Buffer.from(m[2]!, 'base64');
  if (bytes.length !== ALGORITHMS[algorithm]) return `a ${algorithm} pin is ${ALGORITHMS[algorithm]} bytes (base64), but this one is ${bytes.length}.`;
  return undefined;
}

export function parseIntegrity(text: string): Integrity | undefined {
  if (integrityProblem(text) !== undefined) return undefined;
  const m = INTEGRITY_RE.exec(text.trim())!;
  return { algorithm: m[1] as IntegrityAlgorithm, base64: m[2]! };
}

/** The pin of `bytes` with the same algorithm as `pin` (`sha256-...`). */
export function integrityOf(bytes: Uint8Array | string, algorithm: IntegrityAlgorithm = 'sha256'): string {
  return `${algorithm}-${createHash(algorithm).update(bytes).digest('base64')}`;
}

/** True when `bytes` hash to `pin`. A malformed pin matches nothing. */
export function integrityMatches(bytes: Uint8Array | string, pin: string): boolean {
  const want = parseIntegrity(pin);
  if (!want) return false;
  const got = createHash(want.algorithm).update(bytes).digest();
  const expected = Buffer.from(want.base64, 'base64');
  return got.length === expected.length && got.equals(expected);
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Loopback hosts may be spoken to over plain http (tests, a local mirror); everything else needs https. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

/** Why `text` cannot be fetched as a policy URL, or undefined when it can. */
export function policyUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `"${text}" is not a URL.`;
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    return `a policy URL must use https (plain http only for loopback hosts), not ${url.protocol.replace(/:$/, '')}.`;
  }
  if (url.username !== '' || url.password !== '') return 'write no credentials in a policy URL; configure them for the host instead (see docs/org-policy.md).';
  return undefined;
}
