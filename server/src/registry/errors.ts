// One error type for everything that can go wrong talking to a registry, with a stable code the
// facts carry (`ImageFacts.error.code`). Messages are for humans and never contain credentials.

export type RegistryErrorCode =
  | 'INVALID_REFERENCE'
  | 'NOT_FOUND'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'RATE_LIMITED'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'NETWORK'
  | 'TOO_LARGE'
  | 'DIGEST_MISMATCH'
  | 'BAD_RESPONSE'
  | 'UNSUPPORTED'
  | 'INSECURE'
  | 'NOT_CACHED'
  | 'REGISTRY_ERROR'
  | 'INTERNAL';

export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  readonly code: RegistryErrorCode;
  /** HTTP status, when the error came from a response. */
  readonly status: number | undefined;

  constructor(code: RegistryErrorCode, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
  }
}

export function isRegistryError(e: unknown): e is RegistryError {
  return e instanceof RegistryError;
}

/**
 * Remembers every secret the client has handled (passwords, tokens, `user:pass` base64) and blanks
 * them out of any text that leaves the registry layer. Defence in depth: messages are built without
 * secrets in the first place, but a registry may echo a header back in an error body.
 */
export class Redactor {
  private readonly secrets = new Set<string>();

  add(...values: (string | undefined)[]): void {
    for (const v of values) {
      // Very short strings would blank out ordinary words; real secrets are longer.
      if (v !== undefined && v.length >= 4) this.secrets.add(v);
    }
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join('***');
    return out;
  }
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, message: string) => void;

export const silentLogger: Logger = () => undefined;

/** A redactor and a logger that passes every message through it, so no credential reaches a log. */
export function redactingLogger(log: Logger | undefined): { redactor: Redactor; log: Logger } {
  const redactor = new Redactor();
  const userLog = log ?? silentLogger;
  return { redactor, log: (level, message) => userLog(level, redactor.redact(message)) };
}
