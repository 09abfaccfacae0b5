// Two-level cache: memory, then a directory on disk that survives restarts and serves offline mode.
// Content (manifests, configs) is addressed by digest and never expires; tag-to-digest and tag lists
// carry `fetchedAt` and the caller decides freshness. Disk failures only cost speed, never answers.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { computeDigest } from './manifest.ts';
import type { Logger } from './errors.ts';
import type { Env } from './dockerConfig.ts';

export interface ContentEntry {
  bytes: Buffer;
  mediaType: string;
  fetchedAt: number;
}

export interface TagEntry {
  digest: string;
  mediaType?: string;
  fetchedAt: number;
}

export interface TagListEntry {
  tags: string[];
  truncated: boolean;
  fetchedAt: number;
}

/** `$XDG_CACHE_HOME/plimsoll`, else `~/.cache/plimsoll`. */
export function defaultCacheDir(env: Env = process.env): string {
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg !== undefined && xdg !== '' ? xdg : join(env['HOME'] ?? homedir(), '.cache'), 'plimsoll');
}

const DIGEST_FILE_RE = /^(sha256|sha512):([a-f0-9]{64,128})$/;

function keyFile(key: string): string {
  return createHash('sha256').update(key).digest('hex') + '.json';
}

class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) {
      const oldest = this.map.keys().next();
      if (oldest.done !== true) this.map.delete(oldest.value);
    }
  }
}

export class RegistryCache {
  /** Versioned so a future layout change can ignore old files instead of misreading them. */
  private readonly root: string | undefined;
  private readonly content: Lru<ContentEntry>;
  private readonly tags = new Map<string, TagEntry>();
  private readonly tagLists = new Map<string, TagListEntry>();

  constructor(
    dir: string | undefined,
    private readonly log: Logger,
    maxMemoryEntries = 2000,
  ) {
    this.root = dir === undefined ? undefined : join(dir, 'registry-v1');
    this.content = new Lru(maxMemoryEntries);
  }

  get directory(): string | undefined {
    return this.root;
  }

  async getContent(digest: string): Promise<ContentEntry | undefined> {
    const hit = this.content.get(digest);
    if (hit !== undefined) return hit;
    const m = DIGEST_FILE_RE.exec(digest);
    if (this.root === undefined || m === null) return undefined;
    const file = join(this.root, 'content', m[1] ?? 'sha256', m[2] ?? '');
    let bytes: Buffer;
    let meta: { mediaType?: unknown; fetchedAt?: unknown };
    try {
      bytes = await readFile(file);
      meta = JSON.parse(await readFile(file + '.meta.json', 'utf8')) as typeof meta;
    } catch {
      return undefined;
    }
    // A disk cache can be corrupted or tampered with; it is held to the same digest rule.
    if (computeDigest(bytes, m[1] === 'sha512' ? 'sha512' : 'sha256') !== digest) {
      this.log('warn', `cache entry ${digest} does not match its digest; ignoring and removing it`);
      await unlink(file).catch(() => undefined);
      return undefined;
    }
    const entry: ContentEntry = {
      bytes,
      mediaType: typeof meta.mediaType === 'string' ? meta.mediaType : '',
      fetchedAt: typeof meta.fetchedAt === 'number' ? meta.fetchedAt : 0,
    };
    this.content.set(digest, entry);
    return entry;
  }

  async putContent(digest: string, entry: ContentEntry): Promise<void> {
    this.content.set(digest, entry);
    const m = DIGEST_FILE_RE.exec(digest);
    if (this.root === undefined || m === null) return;
    const file = join(this.root, 'content', m[1] ?? 'sha256', m[2] ?? '');
    await this.write(file + '.meta.json', JSON.stringify({ mediaType: entry.mediaType, fetchedAt: entry.fetchedAt }));
    await this.write(file, entry.bytes);
  }

  async getTag(ref: string): Promise<TagEntry | undefined> {
    const hit = this.tags.get(ref);
    if (hit !== undefined) return hit;
    const v = await this.readJson(join('tags', keyFile(ref)));
    if (v === undefined || v['ref'] !== ref || typeof v['digest'] !== 'string' || typeof v['fetchedAt'] !== 'number') return undefined;
    const entry: TagEntry = { digest: v['digest'], fetchedAt: v['fetchedAt'] };
    if (typeof v['mediaType'] === 'string') entry.mediaType = v['mediaType'];
    this.tags.set(ref, entry);
    return entry;
  }

  async putTag(ref: string, entry: TagEntry): Promise<void> {
    this.tags.set(ref, entry);
    if (this.root !== undefined) await this.write(join(this.root, 'tags', keyFile(ref)), JSON.stringify({ ref, ...entry }));
  }

  async getTagList(repository: string): Promise<TagListEntry | undefined> {
    const hit = this.tagLists.get(repository);
    if (hit !== undefined) return hit;
    const v = await this.readJson(join('taglists', keyFile(repository)));
    if (v === undefined || v['repository'] !== repository || !Array.isArray(v['tags']) || typeof v['fetchedAt'] !== 'number') return undefined;
    const entry: TagListEntry = {
      tags: v['tags'].filter((t): t is string => typeof t === 'string'),
      truncated: v['truncated'] === true,
      fetchedAt: v['fetchedAt'],
    };
    this.tagLists.set(repository, entry);
    return entry;
  }

  async putTagList(repository: string, entry: TagListEntry): Promise<void> {
    this.tagLists.set(repository, entry);
    if (this.root !== undefined) await this.write(join(this.root, 'taglists', keyFile(repository)), JSON.stringify({ repository, ...entry }));
  }

  private async readJson(relative: string): Promise<Record<string, unknown> | undefined> {
    if (this.root === undefined) return undefined;
    try {
      const v: unknown = JSON.parse(await readFile(join(this.root, relative), 'utf8'));
      return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Write-then-rename, so a crash or a concurrent reader never sees half a file. */
  private async write(file: string, data: string | Buffer): Promise<void> {
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      await writeFile(tmp, data, { mode: 0o600 });
      await rename(tmp, file);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      this.log('warn', `could not write the registry cache (${(e as NodeJS.ErrnoException).code ?? String(e)}); continuing without it`);
    }
  }
}
