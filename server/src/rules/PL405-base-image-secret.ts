import type { Rule } from '../core/rule.ts';
import type { ImageConfigFact } from '../core/facts.ts';
import { familiarName, normalisedName } from '../core/imageRef.ts';
import { baseManifests } from '../core/registryView.ts';
import { parseCreatedBy } from '../core/history.ts';
import { findSecrets, isGenericSecretValue, isSecretAssignmentName, maskSecret, secretPatterns, type ScanOptions, type TokenPattern } from '../core/secrets.ts';

export const baseImageSecret: Rule = {
  id: 'PL405',
  name: 'base-image-secret',
  category: 'secret',
  severity: 'error',
  status: 'stable',
  fixSafety: 'none',
  needs: ['registry'],
  docs: {
    summary: 'A base image whose config carries a literal credential: in an `Env` entry, or in a build step recorded in its history (`created_by`).',
    why:
      'A base image\'s environment is inherited by every image built on it and by every container started from those, and its history is readable by anyone who can pull it (`docker history --no-trunc`). A token left there by whoever built the base image is already leaked, and building on it spreads it further. The same detection as PL402 is used (known token formats, private keys, URL passwords, Authorization headers, random-looking values assigned to secret-like names, and the policy\'s `secrets.patterns`); findings show only a masked form such as `ghp_****`.',
    bad: 'FROM registry.acme.internal/base/node:20.11.1   # its config has Env NPM_TOKEN=npm_...\n',
    good: 'FROM registry.acme.internal/base/node:20.11.2   # rebuilt with RUN --mount=type=secret, token rotated\n',
    fix: 'None. The owner of the base image must rotate the credential and rebuild the image without it (BuildKit secrets: `RUN --mount=type=secret`); until then, move to another base image.',
    options: '`secrets.patterns` and `secrets.allowedNames`, as for PL402.',
  },
  check(ctx) {
    const patterns = secretPatterns(ctx.policy.secrets.patterns);
    const options: ScanOptions = { allowedNames: ctx.policy.secrets.allowedNames };
    for (const { use, manifest } of baseManifests(ctx.model, ctx.facts)) {
      const config = manifest.config;
      if (!config) continue;
      const image = normalisedName(use.ref);
      for (const s of configSecrets(config, patterns, options)) {
        ctx.report({
          range: use.range,
          message: `Base image ${familiarName(use.ref)} carries a literal ${s.description} ${maskSecret(s.value)} in ${s.where}; it is inherited by this image and readable by anyone who can pull it. Rotate it and rebuild the base image without it, or use another base.`,
          key: `${image}\0${s.patternId}\0${s.where}`,
          image,
          ...(use.stage ? { stage: use.stage } : {}),
        });
      }
    }
  },
};

export interface ConfigSecret {
  patternId: string;
  description: string;
  value: string;
  /** `Env NAME` or `history entry N (RUN)`: never the text around the secret. */
  where: string;
}

/** Literal secrets in an image config's Env and history, each token once (the first place it appears). */
export function configSecrets(config: ImageConfigFact, patterns: readonly TokenPattern[], options: ScanOptions): ConfigSecret[] {
  const out: ConfigSecret[] = [];
  const seen = new Set<string>();
  const add = (patternId: string, description: string, value: string, where: string) => {
    const id = `${patternId}\0${value}`;
    if (seen.has(id)) return;
    seen.add(id);
    out.push({ patternId, description, value, where });
  };
  for (const entry of config.env) {
    const eq = entry.indexOf('=');
    const name = eq > 0 ? entry.slice(0, eq) : entry;
    const hits = findSecrets(entry, patterns, options);
    for (const h of hits) add(h.patternId, h.description, h.value, `Env ${name}`);
    // A whole value with spaces, which the text scan reads only up to the first blank.
    if (eq > 0 && hits.length === 0) {
      const value = entry.slice(eq + 1);
      if (isSecretAssignmentName(name, options.allowedNames ?? []) && isGenericSecretValue(value)) add('generic-secret', 'secret value', value, `Env ${name}`);
    }
  }
  config.history.forEach((h, k) => {
    if (!h.createdBy) return;
    const keyword = parseCreatedBy(h.createdBy, h.comment).keyword ?? 'unknown step';
    for (const hit of findSecrets(h.createdBy, patterns, options)) add(hit.patternId, hit.description, hit.value, `history entry ${k + 1} (${keyword})`);
  });
  return out;
}
