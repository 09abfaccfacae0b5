// Settings under `plimsoll`, pulled per resource and parsed leniently: whatever the client sends, an invalid
// value becomes its default and nothing throws. The only place they live is a per-document cache that
// `workspace/didChangeConfiguration` empties.
import type { PlimsollSettings } from './protocol.ts';

export type { PlimsollSettings };

export const DEFAULT_DEBOUNCE_MS = 150;
const MAX_DEBOUNCE_MS = 10_000;
const RULE_ID_RE = /^PL\d{3}$/;
const TIMED_OUT = Symbol('timed out');

export function defaultSettings(): PlimsollSettings {
  return { policyPath: undefined, offline: false, buildArgs: {}, severity: {}, trace: { server: 'off' }, debounceMs: DEFAULT_DEBOUNCE_MS };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Anything in, valid settings out. Also accepts dotted keys (`"trace.server"`) as some clients send them. */
export function parseSettings(raw: unknown): PlimsollSettings {
  const out = defaultSettings();
  if (!isRecord(raw)) return out;
  const get = (key: string): unknown => {
    if (key in raw) return raw[key];
    const [head, tail] = key.split('.');
    const nested = head !== undefined ? raw[head] : undefined;
    return tail !== undefined && isRecord(nested) ? nested[tail] : undefined;
  };

  const policyPath = get('policyPath');
  if (typeof policyPath === 'string' && policyPath.trim() !== '' && !policyPath.includes('\0')) out.policyPath = policyPath.trim();

  const offline = get('offline');
  if (typeof offline === 'boolean') out.offline = offline;

  const buildArgs = get('buildArgs');
  if (isRecord(buildArgs)) {
    for (const [k, v] of Object.entries(buildArgs)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) continue;
      if (typeof v === 'string') out.buildArgs[k] = v;
      else if (typeof v === 'number' || typeof v === 'boolean') out.buildArgs[k] = String(v);
    }
  }

  const severity = get('severity');
  if (isRecord(severity)) {
    for (const [k, v] of Object.entries(severity)) {
      const id = k.trim().toUpperCase();
      const level = parseLevel(v);
      if (RULE_ID_RE.test(id) && level) out.severity[id] = level;
    }
  }

  const trace = get('trace.server');
  if (trace === 'off' || trace === 'messages' || trace === 'verbose') out.trace.server = trace;

  const debounce = get('debounceMs');
  if (typeof debounce === 'number' && Number.isFinite(debounce) && debounce >= 0) out.debounceMs = Math.min(Math.round(debounce), MAX_DEBOUNCE_MS);
  return out;
}

function parseLevel(v: unknown): PlimsollSettings['severity'][string] | undefined {
  if (typeof v !== 'string') return undefined;
  const s = v.trim().toLowerCase();
  if (s === 'error' || s === 'warning' || s === 'info' || s === 'off') return s;
  if (s === 'information' || s === 'hint') return 'info';
  if (s === 'warn') return 'warning';
  if (s === 'none' || s === 'ignore') return 'off';
  return undefined;
}

/**
 * Per-document settings: one pending or settled fetch per URI. `fetch` may reject or return junk; both
 * become defaults. A client that does not answer within `timeoutMs` gets defaults for now, and is asked
 * again next time (a slow start must not pin the defaults).
 */
export class SettingsCache {
  private readonly pending = new Map<string, Promise<PlimsollSettings>>();
  private readonly settled = new Map<string, PlimsollSettings>();

  constructor(
    private readonly fetch: (uri: string) => Promise<unknown>,
    private readonly timeoutMs = 3000,
  ) {}

  get(uri: string): Promise<PlimsollSettings> {
    const hit = this.pending.get(uri);
    if (hit) return hit;
    const p = this.fetchParsed(uri).then((parsed) => {
      const current = this.pending.get(uri) === p;
      if (current && parsed) this.settled.set(uri, parsed);
      else if (current) this.pending.delete(uri);
      return parsed ?? defaultSettings();
    });
    this.pending.set(uri, p);
    return p;
  }

  /** Undefined when the client did not answer in time. */
  private async fetchParsed(uri: string): Promise<PlimsollSettings | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), this.timeoutMs);
    });
    try {
      const raw = await Promise.race([this.fetch(uri), late]);
      return raw === TIMED_OUT ? undefined : parseSettings(raw);
    } catch {
      return defaultSettings();
    } finally {
      clearTimeout(timer);
    }
  }

  /** The settings already fetched for a document, without waiting (for the debounce delay). */
  peek(uri: string): PlimsollSettings | undefined {
    return this.settled.get(uri);
  }

  forget(uri: string): void {
    this.pending.delete(uri);
    this.settled.delete(uri);
  }

  clear(): void {
    this.pending.clear();
    this.settled.clear();
  }
}
