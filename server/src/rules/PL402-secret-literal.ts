import type { Rule } from '../core/rule.ts';
import type { Instr } from '../core/model.ts';
import type { Range } from '../core/types.ts';
import { isGenericSecretValue, isSecretAssignmentName, maskSecret, mayNameSecret, secretFinder, secretPatterns, type SecretMatch } from '../core/secrets.ts';

export const secretLiteral: Rule = {
  id: 'PL402',
  name: 'secret-literal',
  category: 'secret',
  severity: 'error',
  status: 'stable',
  fixSafety: 'none',
  docs: {
    summary: 'A literal credential written in the Dockerfile: a token, key, password or private key in a RUN, a heredoc, or an ENV, ARG or LABEL value.',
    why:
      'A secret in a Dockerfile is readable by everyone who can read the repository, and by everyone who can pull the image: RUN lines are kept in the image history, ENV and LABEL values in its config, heredoc files in its layers. Built-in patterns: AWS access key IDs (`AKIA`/`ASIA`...) and secret keys (in an assignment), GitHub (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`), GitLab (`glpat-`), npm (`npm_`), Slack tokens (`xoxb-`...) and webhook URLs, Stripe live keys (`sk_live_`, `rk_live_`), Google API keys (`AIza`), private key blocks, URLs with a literal password (`https://user:pass@host`, not `${PASS}`), `Authorization: Basic|Bearer|token` headers with a literal value, and generic assignments (`password=`, `token:`, `api_key=`, `--password ...`) whose value is a literal of 8+ characters with Shannon entropy of at least 3.0 bits per character and either two character classes or 16+ characters (variables, paths and placeholders such as `changeme`, `xxx`, `<token>`, `example` are skipped). Findings never show the secret: only a known prefix such as `ghp_` followed by `****`.',
    bad: 'FROM alpine:3.20\nRUN git clone https://deploy:S3cr3tPassw0rd@git.example.com/app.git\n',
    good:
      '# syntax=docker/dockerfile:1.10\nFROM alpine:3.20\nRUN --mount=type=secret,id=git-password,env=GIT_PASSWORD \\\n    git clone "https://deploy:${GIT_PASSWORD}@git.example.com/app.git"\n',
    fix: 'None. Deleting the literal is not enough: it is in the repository history and possibly in pushed images, so it must be rotated (revoked and reissued), then passed at build time with `RUN --mount=type=secret`.',
    options: '`secrets.patterns` adds patterns (`id`, `description`, `regex`; the token is the named group `secret` when the expression has one, else the whole match). `secrets.allowedNames` exempts names from the generic assignment pattern.',
  },
  check(ctx) {
    const model = ctx.model;
    const allowed = ctx.policy.secrets.allowedNames;
    // Answers kept per instruction text across lints: an edit changes one instruction, the scan is of all.
    const find = secretFinder(secretPatterns(ctx.policy.secrets.patterns), { escapeChar: model.escapeChar, allowedNames: allowed });
    const offsetAt: OffsetAt = (p) => model.index.offsetAt(p);
    for (const instr of model.instructions) {
      let hits = find(instr.text);
      const extras = propertyValues(instr, offsetAt, allowed, model.escapeChar);
      if (hits.length === 0 && extras.length === 0) continue;
      const base = offsetAt(instr.range.start);
      if (extras.length > 0) {
        const all = [...hits];
        for (const extra of extras) if (!all.some((h) => extra.start < h.end && h.start < extra.end)) all.push(extra);
        hits = all;
      }
      for (const hit of hits) {
        const name = hit.name ?? propertyAt(instr, base + hit.start, offsetAt);
        const range = model.index.rangeOf(base + hit.start, base + hit.end);
        ctx.report({
          range,
          message: `Literal ${hit.description} ${maskSecret(hit.value)}${name ? ` assigned to ${name}` : ''} in ${instr.keyword}: ${where(instr)} Rotate it and pass it at build time with RUN --mount=type=secret.`,
          key: `${hit.patternId}:${name ?? ''}`,
          ...(instr.stage ? { stage: instr.stage } : {}),
        });
      }
    }
  },
};

function where(instr: Instr): string {
  switch (instr.keyword) {
    case 'ENV':
    case 'LABEL':
      return 'it is in the repository and in the image config.';
    case 'ARG':
      return 'it is in the repository and in the image history of every RUN that uses it.';
    case 'COPY':
    case 'ADD':
      return 'it is in the repository and in an image layer.';
    default:
      return 'it is in the repository and in the image history.';
  }
}

type OffsetAt = (p: Range['start']) => number;

const NONE: readonly SecretMatch[] = [];

/**
 * ENV/ARG/LABEL entries with a secret-like name and a literal value, including the `ENV NAME value` form
 * and quoted values with spaces that the text scan does not see as one assignment. Offsets are relative
 * to the instruction text.
 */
function propertyValues(instr: Instr, offsetAt: OffsetAt, allowed: readonly string[], escapeChar: string): readonly SecretMatch[] {
  if (instr.keyword !== 'ENV' && instr.keyword !== 'ARG' && instr.keyword !== 'LABEL') return NONE;
  if (!mayNameSecret(instr.text, escapeChar)) return NONE;
  const out: SecretMatch[] = [];
  let base: number | undefined;
  for (const p of instr.properties) {
    if (p.value === null || !p.valueRange) continue;
    if (!isSecretAssignmentName(p.name.replace(/^["']|["']$/g, ''), allowed)) continue;
    base ??= offsetAt(instr.range.start);
    let start = offsetAt(p.valueRange.start) - base;
    let end = offsetAt(p.valueRange.end) - base;
    const raw = instr.text.slice(start, end);
    if (raw.length >= 2 && (raw[0] === '"' || raw[0] === "'") && raw.at(-1) === raw[0]) {
      start++;
      end--;
    }
    if (!isGenericSecretValue(p.value) || /\$(?:\{|[A-Za-z_])/.test(raw)) continue;
    out.push({ patternId: 'generic-secret', description: 'secret value', start, end, value: p.value, name: p.name });
  }
  return out;
}

/** The ENV/ARG/LABEL entry whose value holds a document offset, for the finding's key. */
function propertyAt(instr: Instr, offset: number, offsetAt: OffsetAt): string | undefined {
  for (const p of instr.properties) {
    if (!p.valueRange) continue;
    if (offset >= offsetAt(p.valueRange.start) && offset < offsetAt(p.valueRange.end)) return p.name;
  }
  return undefined;
}
