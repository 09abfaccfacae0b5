// `plimsoll policy check`: what a policy file gets wrong beyond its schema. Globs that can never match
// anything Docker would pull, waivers expired or expiring soon, waivers nobody owns. Pure: a parsed
// document and today's date in, problems out (the schema errors come from parse.ts and load.ts).
import { semver, type SemVer } from '../core/semver.ts';
import type { ImageMatcher, PolicySource, Waiver } from '../core/policy.ts';
import { splitTag } from '../core/imageRef.ts';
import { daysUntilExpiry } from './waivers.ts';
import type { PolicyDocument } from './types.ts';

export type CheckSeverity = 'error' | 'warning' | 'info';

/** Stable ids of what `policy check` adds to the parser's codes. */
export type CheckCode =
  | 'glob-never-matches'
  | 'glob-matches-everything'
  | 'waiver-expired'
  | 'waiver-expiring'
  | 'waiver-no-expiry'
  | 'waiver-no-owner';

export interface CheckProblem {
  file: string;
  line: number;
  column: number;
  severity: CheckSeverity;
  code: string;
  message: string;
  suggestion?: string;
}

const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const HOST_LABEL_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
const TAG_START_RE = /^[\w*?]/;
const WILD = /[*?]/;

/** Why a repository glob (`docker.io/library/node*`) can never match a normalised reference, if it cannot. */
export function repositoryGlobProblem(glob: string): { message: string; suggestion?: string } | undefined {
  if (glob === '**') return undefined;
  const [host = '', ...parts] = glob.split('/');
  if (host === 'docker.io' && parts.length === 1 && parts[0] !== undefined && !WILD.test(parts[0]) && parts[0] !== '**') {
    return { message: `docker.io/${parts[0]} never matches: official images are docker.io/library/${parts[0]} (write just ${parts[0]}).`, suggestion: parts[0] };
  }
  if (!WILD.test(host)) {
    const name = host.replace(/:\d+$/, '');
    if (name !== 'localhost' && !name.split('.').every((l) => HOST_LABEL_RE.test(l))) return { message: `"${host}" is not a registry host, so ${glob} never matches.` };
  }
  for (const part of parts) {
    if (part === '**' || WILD.test(part)) continue;
    if (!PATH_COMPONENT_RE.test(part)) return { message: `"${part}" is not a valid repository name component (lower-case letters and digits, separated by . _ __ or -), so ${glob} never matches.` };
  }
  return undefined;
}

/** Why a tag glob can never match a tag Docker accepts (`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`), if it cannot. */
export function tagGlobProblem(glob: string): string | undefined {
  if (!TAG_START_RE.test(glob)) return `tags start with a letter, digit or _, so "${glob}" never matches.`;
  if (glob.replace(/\*/g, '').length > 128) return `tags are at most 128 characters, so "${glob}" never matches.`;
  return undefined;
}

function matcherProblems(m: ImageMatcher, where: string): Array<{ message: string; suggestion?: string }> {
  const out: Array<{ message: string; suggestion?: string }> = [];
  const repo = repositoryGlobProblem(m.image);
  if (repo) out.push({ ...repo, message: `${where}: ${repo.message}` });
  for (const t of m.tags ?? []) {
    const p = tagGlobProblem(t);
    if (p) out.push({ message: `${where}: ${p}` });
  }
  if (m.semver !== undefined) {
    let min: SemVer | null = null;
    try {
      min = semver().minVersion(m.semver);
    } catch {
      min = null;
    }
    if (min === null) out.push({ message: `${where}: the semver range "${m.semver}" contains no version, so the entry never matches.` });
    else if (m.tags && m.tags.length > 0 && m.tags.every((t) => !WILD.test(t))) {
      // Literal tags and a range: at least one tag's version must be in the range.
      const versions = m.tags.map((t) => splitTag(t).version).filter((v): v is string => v !== undefined);
      const inRange = versions.some((v) => {
        const c = semver().coerce(v);
        return c !== null && semver().satisfies(c, m.semver!);
      });
      if (!inRange) out.push({ message: `${where}: none of the tags ${m.tags.join(', ')} is in the semver range "${m.semver}", so the entry never matches.` });
    }
  }
  for (const v of m.variants ?? []) {
    if (/^[-._]/.test(v)) out.push({ message: `${where}: variants are written without their separator ("${v.replace(/^[-._]+/, '')}", not "${v}"); this one never matches.`, suggestion: v.replace(/^[-._]+/, '') });
  }
  return out;
}

function waiverPathProblem(glob: string): string | undefined {
  if (glob.startsWith('/') || /^[A-Za-z]:[\\/]/.test(glob)) return `"${glob}" is absolute, but waiver files are relative to the policy's folder, so it never matches.`;
  if (glob.includes('\\')) return `"${glob}" uses \\; paths are matched with /, so it never matches.`;
  if (glob.split('/').includes('..')) return `"${glob}" leaves the policy's folder, so it never matches.`;
  return undefined;
}

/**
 * Problems in one parsed policy file that its schema does not catch. Waivers: expired (warning),
 * expiring within `soonDays` (info), without `expires` or `owner` (info).
 */
export function checkPolicyDocument(doc: PolicyDocument, today: string, soonDays = 30): CheckProblem[] {
  const out: CheckProblem[] = [];
  const p = doc.policy;
  const add = (at: PolicySource | undefined, severity: CheckSeverity, code: CheckCode, message: string, suggestion?: string): void => {
    out.push({ file: doc.file, line: at?.line ?? 1, column: at?.column ?? 1, severity, code, message, ...(suggestion !== undefined ? { suggestion } : {}) });
  };

  const hosts = p.trustedRegistries ?? [];
  const hostAt = p.itemSources?.['registries.trusted'];
  hosts.forEach((h, i) => {
    const at = hostAt?.[i] ?? p.sources?.['registries.trusted'];
    if (h === '*' || h === '**') {
      add(at, 'warning', 'glob-matches-everything', `registries.trusted: "${h}" trusts every registry, the same as no list; name the registries.`);
      return;
    }
    if (WILD.test(h)) return;
    const name = h.replace(/:\d+$/, '');
    if (name !== 'localhost' && !name.split('.').every((l) => HOST_LABEL_RE.test(l))) add(at, 'warning', 'glob-never-matches', `registries.trusted: "${h}" is not a registry host, so it never matches.`);
  });

  const lists: Array<[string, ImageMatcher[] | undefined]> = [
    ['images.allow', p.allowedImages],
    ['images.deny', p.deniedImages],
  ];
  for (const [name, entries] of lists) {
    (entries ?? []).forEach((m, i) => {
      if (name === 'images.allow' && m.image === '**' && !m.tags && !m.semver && !m.variants) {
        add(m.source, 'warning', 'glob-matches-everything', `${name}[${i}]: "**" approves every image, the same as no allowlist.`);
      }
      for (const problem of matcherProblems(m, `${name}[${i}]`)) add(m.source, 'warning', 'glob-never-matches', problem.message, problem.suggestion);
    });
  }
  (p.replacements ?? []).forEach((r, i) => {
    const problem = repositoryGlobProblem(r.from);
    if (problem) add(r.source, 'warning', 'glob-never-matches', `images.replacements[${i}].from: ${problem.message}`, problem.suggestion);
  });

  (p.waivers ?? []).forEach((w: Waiver, i) => {
    const where = `waivers[${i}] (${w.rules.join(', ')})`;
    if (w.file !== undefined) {
      const problem = waiverPathProblem(w.file);
      if (problem) add(w.source, 'warning', 'glob-never-matches', `${where}: file ${problem}`);
    }
    if (w.image !== undefined) {
      // The waiver glob includes the tag: check the repository part only.
      const repo = w.image.replace(/:[^/]*$/, '');
      const problem = repositoryGlobProblem(repo);
      if (problem) add(w.source, 'warning', 'glob-never-matches', `${where}: image ${problem.message}`);
    }
    const left = daysUntilExpiry(w, today);
    if (left === undefined) add(w.source, 'info', 'waiver-no-expiry', `${where} never expires; give it an expires date so it is reviewed.`);
    else if (left < 0) add(w.source, 'warning', 'waiver-expired', `${where} expired on ${w.expires} (${-left} day${left === -1 ? '' : 's'} ago); it hides nothing now and PL901 reports it.`);
    else if (left <= soonDays) add(w.source, 'info', 'waiver-expiring', `${where} expires on ${w.expires}, in ${left} day${left === 1 ? '' : 's'}.`);
    if (w.owner === undefined) add(w.source, 'info', 'waiver-no-owner', `${where} has no owner; name who answers for it.`);
  });
  return out.sort((a, b) => a.line - b.line || a.column - b.column);
}
