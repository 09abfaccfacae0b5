// The keys and enum values of `.plimsoll.yaml`, in one place: the parser checks against these and a
// test checks that schema/plimsoll.schema.json declares exactly the same.
import type { PinLevel, PinningPolicy, TagPrecision } from '../core/policy.ts';

/** Larger policy files are refused unread: real ones are a few kB. */
export const MAX_POLICY_CHARS = 1_000_000;

export const POLICY_KEYS = {
  root: ['extends', 'locked', 'images', 'registries', 'pinning', 'sizes', 'secrets', 'rules', 'suppression', 'waivers', 'builds'],
  remote: ['url', 'integrity'],
  images: ['allow', 'deny', 'replacements'],
  allow: ['image', 'tags', 'semver', 'variants'],
  deny: ['image', 'tags', 'semver', 'variants', 'reason', 'replacement'],
  replacement: ['from', 'to'],
  registries: ['trusted'],
  pinning: ['level', 'scope', 'precision', 'stages', 'platformDigests', 'bump'],
  sizes: ['baseImage', 'layer', 'copyContext'],
  secrets: ['patterns', 'allowedNames', 'sensitiveFiles'],
  pattern: ['id', 'description', 'regex'],
  rule: ['severity'],
  suppression: ['inline'],
  waiver: ['rules', 'file', 'stage', 'image', 'reason', 'owner', 'expires'],
  build: ['dockerfile', 'image'],
} as const satisfies Record<string, readonly string[]>;

export type KeyContext = keyof typeof POLICY_KEYS;

/** Where each key table sits in the document, as paths (`[]` = any list item, `*` = any key). */
const CONTEXT_PATHS: Record<KeyContext, string | readonly string[]> = {
  root: '',
  // A remote `extends` entry may stand alone or be one item of the list.
  remote: ['extends', 'extends[]'],
  images: 'images',
  allow: 'images.allow[]',
  deny: 'images.deny[]',
  replacement: 'images.replacements[]',
  registries: 'registries',
  pinning: 'pinning',
  sizes: 'sizes',
  secrets: 'secrets',
  pattern: 'secrets.patterns[]',
  rule: 'rules.*',
  suppression: 'suppression',
  waiver: 'waivers[]',
  build: 'builds[]',
};

/** Every key the parser knows, as a path: `images.allow[].tags`, `rules.*.severity`. */
export function policyKeyPaths(): string[] {
  const out: string[] = [];
  for (const [ctx, keys] of Object.entries(POLICY_KEYS) as [KeyContext, readonly string[]][]) {
    const where = CONTEXT_PATHS[ctx];
    for (const base of typeof where === 'string' ? [where] : where) {
      for (const k of keys) out.push(base ? `${base}.${k}` : k);
    }
  }
  return out.sort();
}

export const PIN_LEVELS: readonly PinLevel[] = ['none', 'tag', 'digest'];
export const PIN_SCOPES: readonly ('all' | 'final')[] = ['all', 'final'];
export const TAG_PRECISIONS: readonly TagPrecision[] = ['any', 'major', 'minor', 'patch'];
export const PIN_BUMPS: readonly NonNullable<PinningPolicy['bump']>[] = ['patch', 'minor'];
export const RULE_LEVELS = ['error', 'warning', 'info', 'off'] as const;
export type RuleLevel = (typeof RULE_LEVELS)[number];

/** Rule ids look like `PL101`; which ones exist is the rule registry's business. */
export const RULE_ID_RE = /^PL\d+$/;

/**
 * Settings a policy can lock for the files merged after it (`locked: [pinning.level, ...]`), plus
 * `rules.PL<n>` for one rule. A section name (`pinning`) locks every lockable setting under it.
 */
export const LOCKABLE = [
  'images.allow',
  'images.deny',
  'registries.trusted',
  'pinning.level',
  'pinning.scope',
  'pinning.precision',
  'sizes.baseImage',
  'sizes.layer',
  'sizes.copyContext',
  'secrets.patterns',
  'secrets.allowedNames',
  'secrets.sensitiveFiles',
  'suppression.inline',
  'rules',
  'waivers',
] as const;
export type Lockable = (typeof LOCKABLE)[number];
export const LOCK_SECTIONS = ['images', 'registries', 'pinning', 'sizes', 'secrets', 'suppression'] as const;
/** `rules.PL101`: one rule's severity. */
export const LOCK_RULE_RE = /^rules\.PL\d+$/;
