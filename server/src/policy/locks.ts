// `locked` settings: a policy (usually the org's) locks settings for every file merged after it. A later
// file may tighten a locked setting but not loosen it; each attempt is a PolicyError at the loosening
// entry, and that entry is left out so the locked value stays in force. Pure.
//
// What tightening means, per setting (P = the merged policy so far, C = the later file):
// - images.allow: without an allowlist in P, any list tightens. With one, every C entry must be
//   covered by a P entry (same or narrower image glob, tags, semver and variants); narrow further
//   with images.deny. PL101 may not be waived or turned down.
// - images.deny: only grows (merging concatenates). PL102 may not be waived or turned down.
// - registries.trusted: every C host must be covered by a P glob; P without a list trusts all, so
//   any list tightens. PL201 may not be waived or turned down.
// - pinning.level (none < tag < digest), pinning.precision (any < major < minor < patch): only up;
//   with pinning.level locked, pinning.stages may not go below the level either. PL301, PL302,
//   PL304 (level) and PL303 (precision) may not be waived or turned down.
// - pinning.scope: only from final to all.
// - sizes.*: a budget may only shrink (P without one: any budget tightens). PL510, PL511/PL512, PL501.
// - secrets.patterns: new ids only (replacing one of P's could weaken it). PL402.
// - secrets.allowedNames: no names P does not already allow. PL401.
// - secrets.sensitiveFiles: only grows. PL403, PL404.
// - suppression.inline: only from true to false. PL902.
// - rules / rules.PL<n>: a rule's severity may only go up (off < info < warning < error).
// - waivers: C may add no waivers.
import { semver } from '../core/semver.ts';
import type { ImageMatcher, PinLevel, Policy, PolicySource, TagPrecision } from '../core/policy.ts';
import type { Severity } from '../core/types.ts';
import { globMatch } from '../core/glob.ts';
import { rulesById } from '../rules/index.ts';
import type { PolicyError, PolicyOverlay } from './types.ts';

/** The rules whose findings a locked setting produces: they may not be waived or turned down. */
export const GUARDED_RULES: Readonly<Record<string, readonly string[]>> = {
  'images.allow': ['PL101'],
  'images.deny': ['PL102'],
  'registries.trusted': ['PL201'],
  'pinning.level': ['PL301', 'PL302', 'PL304'],
  'pinning.precision': ['PL303'],
  'sizes.baseImage': ['PL510'],
  'sizes.layer': ['PL511', 'PL512'],
  'sizes.copyContext': ['PL501'],
  'secrets.patterns': ['PL402'],
  'secrets.allowedNames': ['PL401'],
  'secrets.sensitiveFiles': ['PL403', 'PL404'],
  'suppression.inline': ['PL902'],
};

const PIN_ORDER: Record<PinLevel, number> = { none: 0, tag: 1, digest: 2 };
const PRECISION_ORDER: Record<TagPrecision, number> = { any: 0, major: 1, minor: 2, patch: 3 };
const SEVERITY_RANK: Record<Severity | 'off', number> = { off: 0, info: 1, warning: 2, error: 3 };

export interface LockResult {
  /** The later file's overlay without the entries that would loosen a locked setting. */
  overlay: PolicyOverlay;
  errors: PolicyError[];
}

/**
 * Checks `overlay` (from `file`) against the settings `base.locked` locks. Returns the overlay with the
 * loosening entries removed (and their `sources`), and one error per removed entry.
 */
export function applyLocks(base: Policy, overlay: PolicyOverlay, file: string): LockResult {
  const locked = base.locked ?? {};
  if (Object.keys(locked).length === 0) return { overlay, errors: [] };
  const out: PolicyOverlay = { ...overlay };
  if (overlay.sources) out.sources = { ...overlay.sources };
  const errors: PolicyError[] = [];
  const isLocked = (name: string): PolicySource | undefined => locked[name];
  const fail = (at: PolicySource | undefined, name: string, message: string): void => {
    const by = isLocked(name) ?? locked['rules'];
    const where = by ? ` (locked by ${by.file}:${by.line})` : '';
    errors.push({ file, line: at?.line ?? 1, column: at?.column ?? 1, severity: 'error', code: 'locked', message: `${name} is locked${where}: ${message}` });
  };
  const drop = (path: string): void => {
    if (out.sources) delete out.sources[path];
  };

  // images.allow
  const allowLock = 'images.allow';
  if (isLocked(allowLock) && overlay.allowedImages && base.allowedImages) {
    const parents = base.allowedImages;
    out.allowedImages = overlay.allowedImages.filter((c) => {
      if (parents.some((p) => matcherCovers(p, c))) return true;
      fail(c.source, allowLock, `${c.image} widens the allowlist; this file may only add entries its parents already allow (narrow with images.deny instead).`);
      return false;
    });
  }

  // registries.trusted
  const trustLock = 'registries.trusted';
  if (isLocked(trustLock) && overlay.trustedRegistries && base.trustedRegistries) {
    const parents = base.trustedRegistries;
    const positions = overlay.itemSources?.['registries.trusted'];
    const kept: string[] = [];
    overlay.trustedRegistries.forEach((host, i) => {
      if (parents.some((p) => globCovers(p, host, true))) kept.push(host);
      else fail(positions?.[i] ?? overlay.sources?.['registries.trusted'], trustLock, `${host} is not among the trusted registries (${parents.join(', ')}); this list may only shrink.`);
    });
    out.trustedRegistries = kept;
  }

  // pinning
  if (overlay.pinning) {
    const pin = { ...overlay.pinning };
    if (overlay.pinning.stages) pin.stages = { ...overlay.pinning.stages };
    const level = overlay.pinning.level;
    if (level !== undefined && isLocked('pinning.level') && PIN_ORDER[level] < PIN_ORDER[base.pinning.level]) {
      fail(overlay.sources?.['pinning.level'], 'pinning.level', `${level} is looser than ${base.pinning.level} (none < tag < digest).`);
      delete pin.level;
      drop('pinning.level');
    }
    if (isLocked('pinning.level') && pin.stages) {
      for (const [stage, l] of Object.entries(pin.stages)) {
        const floor = base.pinning.stages[stage] !== undefined && PIN_ORDER[base.pinning.stages[stage]] > PIN_ORDER[base.pinning.level] ? base.pinning.stages[stage] : base.pinning.level;
        if (PIN_ORDER[l] >= PIN_ORDER[floor]) continue;
        fail(overlay.sources?.[`pinning.stages.${stage}`], 'pinning.level', `stage ${stage} at ${l} is looser than ${floor} (none < tag < digest).`);
        delete pin.stages[stage];
        drop(`pinning.stages.${stage}`);
      }
    }
    const precision = overlay.pinning.precision;
    if (precision !== undefined && isLocked('pinning.precision') && PRECISION_ORDER[precision] < PRECISION_ORDER[base.pinning.precision]) {
      fail(overlay.sources?.['pinning.precision'], 'pinning.precision', `${precision} is looser than ${base.pinning.precision} (any < major < minor < patch).`);
      delete pin.precision;
      drop('pinning.precision');
    }
    if (overlay.pinning.scope === 'final' && isLocked('pinning.scope') && base.pinning.scope === 'all') {
      fail(overlay.sources?.['pinning.scope'], 'pinning.scope', 'final is looser than all (only from final to all).');
      delete pin.scope;
      drop('pinning.scope');
    }
    out.pinning = pin;
  }

  // sizes
  if (overlay.sizes) {
    const sizes = { ...overlay.sizes };
    for (const key of ['baseImage', 'layer', 'copyContext'] as const) {
      const name = `sizes.${key}`;
      const v = overlay.sizes[key];
      const was = base.sizes[key];
      if (v === undefined || !isLocked(name) || was === undefined || v <= was) continue;
      fail(overlay.sources?.[name], name, `${v} bytes is more than the locked budget of ${was} bytes; a budget may only shrink.`);
      delete sizes[key];
      drop(name);
    }
    out.sizes = sizes;
  }

  // secrets
  if (overlay.secrets) {
    const secrets = { ...overlay.secrets };
    if (isLocked('secrets.patterns') && overlay.secrets.patterns) {
      const ids = new Set(base.secrets.patterns.map((p) => p.id));
      secrets.patterns = overlay.secrets.patterns.filter((p) => {
        if (!ids.has(p.id)) return true;
        fail(p.source, 'secrets.patterns', `pattern ${p.id} is defined by a locked policy and may not be replaced; add a pattern with a new id.`);
        return false;
      });
    }
    if (isLocked('secrets.allowedNames') && overlay.secrets.allowedNames) {
      const known = new Set(base.secrets.allowedNames.map((n) => n.toLowerCase()));
      const positions = overlay.itemSources?.['secrets.allowedNames'];
      const kept: string[] = [];
      overlay.secrets.allowedNames.forEach((n, i) => {
        if (known.has(n.toLowerCase())) kept.push(n);
        else fail(positions?.[i], 'secrets.allowedNames', `${n} is not allowed by the locked policy; this list may only shrink.`);
      });
      secrets.allowedNames = kept;
    }
    out.secrets = secrets;
  }

  // suppression.inline
  if (overlay.allowInlineSuppression === true && isLocked('suppression.inline') && !base.allowInlineSuppression) {
    fail(overlay.sources?.['suppression.inline'], 'suppression.inline', 'inline suppression is forbidden and may not be turned back on.');
    delete out.allowInlineSuppression;
    drop('suppression.inline');
  }

  // Rules a locked setting guards, and locked rules: severity only up, never waived.
  const guarded = new Map<string, string>();
  for (const [name, ids] of Object.entries(GUARDED_RULES)) if (isLocked(name)) for (const id of ids) if (!guarded.has(id)) guarded.set(id, name);
  for (const name of Object.keys(locked)) if (name.startsWith('rules.')) guarded.set(name.slice('rules.'.length), name);
  const allRulesLocked = isLocked('rules') !== undefined;
  if (overlay.rules) {
    const rules = { ...overlay.rules };
    for (const [id, setting] of Object.entries(overlay.rules)) {
      const by = guarded.get(id) ?? (allRulesLocked ? 'rules' : undefined);
      if (by === undefined || setting.severity === undefined) continue;
      const now = base.rules[id]?.severity ?? rulesById.get(id)?.severity;
      if (now === undefined || SEVERITY_RANK[setting.severity] >= SEVERITY_RANK[now]) continue;
      fail(overlay.sources?.[`rules.${id}`], by, `${id} may not go from ${now} to ${setting.severity}; a severity may only go up.`);
      delete rules[id];
      drop(`rules.${id}`);
    }
    out.rules = rules;
  }
  if (overlay.waivers) {
    out.waivers = overlay.waivers.filter((w) => {
      if (isLocked('waivers')) {
        fail(w.source, 'waivers', 'this file may add no waivers; ask the owners of the locked policy.');
        return false;
      }
      const hit = w.rules.includes('*') ? [...guarded.keys()][0] : w.rules.find((r) => guarded.has(r));
      if (hit === undefined) return true;
      fail(w.source, guarded.get(hit)!, `a waiver may not hide ${w.rules.includes('*') ? 'every rule' : hit}; ask the owners of the locked policy.`);
      return false;
    });
  }
  errors.sort((a, b) => a.line - b.line || a.column - b.column);
  return { overlay: out, errors };
}

/** True when every image `c` matches is also matched by `p`. Conservative: unsure means no. */
export function matcherCovers(p: ImageMatcher, c: ImageMatcher): boolean {
  if (!globCovers(p.image, c.image, false)) return false;
  if (p.tags && p.tags.length > 0) {
    if (!c.tags || c.tags.length === 0) return false;
    if (!c.tags.every((t) => p.tags!.some((pt) => globCovers(pt, t, false)))) return false;
  }
  if (p.semver) {
    if (!c.semver) return false;
    try {
      if (!semver().subset(c.semver, p.semver)) return false;
    } catch {
      return false;
    }
  }
  if (p.variants && p.variants.length > 0) {
    if (!c.variants || c.variants.length === 0 || !c.variants.every((v) => p.variants!.includes(v))) return false;
  }
  return true;
}

/**
 * True when glob `p` matches everything glob `c` matches. Checked on samples of what `c` matches (its
 * wildcards as empty text, as ordinary text, and `**` across segments), so unsure means no.
 */
export function globCovers(p: string, c: string, caseInsensitive: boolean): boolean {
  if (p === '**' || p === c || (caseInsensitive && p.toLowerCase() === c.toLowerCase())) return true;
  const sample = (deep: string, star: string, one: string): string => c.replace(/\*\*/g, deep).replace(/\*/g, star).replace(/\?/g, one);
  const samples = [c, sample('', '', 'a'), sample('q/r', 'x-y.z9', '_'), sample('s', 'Zz', '0')];
  return samples.every((s) => globMatch(p, s, caseInsensitive));
}
