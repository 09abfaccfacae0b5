// The keys and enum values of `.plimsoll.yaml`, in one place: the parser checks against these and a
// test checks that schema/plimsoll.schema.json declares exactly the same.
import type { PinLevel, TagPrecision } from '../core/policy.ts';

export const POLICY_KEYS = {
  root: ['extends', 'images', 'registries', 'pinning', 'sizes', 'secrets', 'rules', 'suppression', 'waivers'],
  images: ['allow', 'deny'],
  allow: ['image', 'tags', 'semver', 'variants'],
  deny: ['image', 'tags', 'semver', 'variants', 'reason', 'replacement'],
  registries: ['trusted'],
  pinning: ['level', 'scope', 'precision', 'stages'],
  sizes: ['baseImage', 'layer', 'copyContext'],
  secrets: ['patterns', 'allowedNames', 'sensitiveFiles'],
  pattern: ['id', 'description', 'regex'],
  rule: ['severity'],
  suppression: ['inline'],
  waiver: ['rules', 'file', 'stage', 'image', 'reason', 'owner', 'expires'],
} as const satisfies Record<string, readonly string[]>;

export type KeyContext = keyof typeof POLICY_KEYS;

/** Where each key table sits in the document, as a path (`[]` = any list item, `*` = any key). */
const CONTEXT_PATHS: Record<KeyContext, string> = {
  root: '',
  images: 'images',
  allow: 'images.allow[]',
  deny: 'images.deny[]',
  registries: 'registries',
  pinning: 'pinning',
  sizes: 'sizes',
  secrets: 'secrets',
  pattern: 'secrets.patterns[]',
  rule: 'rules.*',
  suppression: 'suppression',
  waiver: 'waivers[]',
};

/** Every key the parser knows, as a path: `images.allow[].tags`, `rules.*.severity`. */
export function policyKeyPaths(): string[] {
  const out: string[] = [];
  for (const [ctx, keys] of Object.entries(POLICY_KEYS) as [KeyContext, readonly string[]][]) {
    const base = CONTEXT_PATHS[ctx];
    for (const k of keys) out.push(base ? `${base}.${k}` : k);
  }
  return out.sort();
}

export const PIN_LEVELS: readonly PinLevel[] = ['none', 'tag', 'digest'];
export const PIN_SCOPES: readonly ('all' | 'final')[] = ['all', 'final'];
export const TAG_PRECISIONS: readonly TagPrecision[] = ['any', 'major', 'minor', 'patch'];
export const RULE_LEVELS = ['error', 'warning', 'info', 'off'] as const;
export type RuleLevel = (typeof RULE_LEVELS)[number];

/** Rule ids look like `PL101`; which ones exist is the rule registry's business. */
export const RULE_ID_RE = /^PL\d+$/;
