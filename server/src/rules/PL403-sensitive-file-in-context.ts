import type { Rule } from '../core/rule.ts';
import type { DockerfileModel } from '../core/model.ts';
import type { BuildContextFacts } from '../core/context.ts';
import type { Fix } from '../core/types.ts';
import { IgnoreMatcher, cleanPath, contextSources, filesForSource } from '../core/context.ts';
import { sensitiveFilesFor, expandAt, sensitiveHitsForSource, type SensitiveHit } from '../core/secrets.ts';
import { TextIndex } from '../core/text.ts';

export const sensitiveFileInContext: Rule = {
  id: 'PL403',
  name: 'sensitive-file-in-context',
  category: 'secret',
  severity: 'error',
  status: 'stable',
  fixSafety: 'safe and unsafe',
  docs: {
    summary: 'A COPY or ADD that takes a sensitive file from the build context into the image: `.env`, SSH keys, `*.pem`/`*.key`, `.npmrc`, cloud credentials, `.git/`, Terraform state.',
    why:
      'Whatever COPY puts in a layer ships with the image, and deleting it later does not remove it from that layer. `COPY . .` is the usual culprit: it takes every file `.dockerignore` does not exclude. Built-in sensitive paths: `.env` and `.env.*` (not `.env.example`, `.sample`, `.template`, `.dist`, `.defaults`), `id_rsa`, `id_dsa`, `id_ecdsa`, `id_ed25519` (not `.pub`), `*.pem`, `*.key`, `*.p12`, `*.pfx`, `*.jks`, `*.keystore`, `.npmrc`, `.pypirc`, `.netrc`, `.pgpass`, `.git-credentials`, `.aws/credentials`, `.docker/config.json`, files under `.ssh/` (not public keys, `known_hosts`, `authorized_keys`, `config`), `.git/` (reported once as a folder), `*.tfstate`, `*.tfstate.backup`, `.htpasswd`, `credentials.json`. With the build context known, the rule checks the files each source really takes after `.dockerignore`; without it, sources whose own name is sensitive (`COPY id_rsa /root/.ssh/`).',
    bad: '# .dockerignore does not mention .env\nFROM node:20.11.1-alpine\nWORKDIR /app\nCOPY . .\n',
    good: '# .dockerignore:\n#   /.env\nFROM node:20.11.1-alpine\nWORKDIR /app\nCOPY . .\n',
    fix: 'Adds the path (`/.env`, `/.git`) to the ignore file in force, creating it if needed. Safe when the file only comes in through a broader source (`COPY . .`); unsafe when a COPY, ADD or bind mount names the file itself (`COPY .npmrc /root/`) or a glob would match nothing else, because excluding it would then break the build. For a file the build needs, use `RUN --mount=type=secret` instead.',
    options: '`secrets.sensitiveFiles`: extra globs (`*.p12`, `secrets/**`; a glob without `/` matches a file name at any depth, one ending in `/` or `/**` names a folder).',
  },
  check(ctx) {
    const model = ctx.model;
    const facts = ctx.buildContext;
    const ignore = new IgnoreMatcher(facts?.dockerignore?.text);
    const sensitive = sensitiveFilesFor(ctx.policy.secrets.sensitiveFiles);
    // Only a fix needs it, so only a finding with a build context pays for this walk.
    let named: ReturnType<typeof explicitPaths> | undefined;
    for (const instr of model.instructions) {
      let seen: Set<string> | undefined;
      for (const src of contextSources(instr)) {
        const source = expandAt(model, instr, src.source);
        if (source === undefined) continue;
        for (const hit of sensitiveHitsForSource(source, facts, ignore, sensitive).hits) {
          if (seen?.has(hit.path)) continue;
          (seen ??= new Set()).add(hit.path);
          const shown = hit.kind === 'folder' ? `${hit.path}/` : hit.path;
          const fix = facts ? ignoreFix(facts, ignore, hit, source, (named ??= explicitPaths(model))) : undefined;
          ctx.report({
            range: src.range,
            message: `${instr.keyword} ${src.source} puts ${shown} (${hit.what}) from the build context into the image; exclude it in .dockerignore, or use RUN --mount=type=secret if the build needs it.`,
            key: hit.path,
            ...(fix ? { fixes: [fix] } : {}),
            ...(instr.stage ? { stage: instr.stage } : {}),
          });
        }
      }
    }
  },
};

/** Context paths that some instruction names itself: excluding them would make that instruction fail. */
function explicitPaths(model: DockerfileModel): Array<{ path: string; glob: boolean }> {
  const out: Array<{ path: string; glob: boolean }> = [];
  const add = (raw: string | undefined) => {
    if (raw === undefined) return;
    const path = cleanPath(raw.replace(/^\/+/, ''));
    if (path !== '.' && !path.startsWith('..')) out.push({ path, glob: /[*?[]/.test(path) });
  };
  for (const instr of model.instructions) {
    for (const src of contextSources(instr)) add(expandAt(model, instr, src.source));
    if (instr.keyword !== 'RUN') continue;
    for (const f of instr.flags) {
      if (f.name !== 'mount' || f.options.has('from')) continue;
      const type = f.options.get('type')?.value ?? 'bind';
      if (type !== 'bind') continue;
      const source = f.options.get('source')?.value ?? f.options.get('src')?.value;
      if (source) add(expandAt(model, instr, source));
    }
  }
  return out;
}

function ignoreFix(facts: BuildContextFacts, ignore: IgnoreMatcher, hit: SensitiveHit, source: string, named: ReturnType<typeof explicitPaths>): Fix | undefined {
  const file = facts.dockerignore;
  if (!file) return undefined;
  const entry = `/${hit.path.replace(/[*?[\\]/g, '\\$&')}`;
  const text = file.text;
  const end = new TextIndex(text).positionAt(text.length);
  const lead = text.length > 0 && !text.endsWith('\n') ? '\n' : '';
  const safe = !facts.truncated && !breaksAnInstruction(facts, ignore, hit, source, named, `${text}\n${entry}\n`);
  return {
    title: `Add ${entry} to ${file.file}`,
    applicability: safe ? 'safe' : 'unsafe',
    changes: [{ file: file.file, create: !file.exists, edits: [{ range: { start: end, end }, newText: `${lead}${entry}\n` }] }],
  };
}

/**
 * Excluding the path breaks the build when an instruction names it (or something inside it) without a
 * wildcard, or when a wildcard source would then match nothing (BuildKit fails on an empty wildcard).
 */
function breaksAnInstruction(
  facts: BuildContextFacts,
  ignore: IgnoreMatcher,
  hit: SensitiveHit,
  source: string,
  named: ReturnType<typeof explicitPaths>,
  newIgnore: string,
): boolean {
  const inside = (p: string) => p === hit.path || p.startsWith(`${hit.path}/`);
  if (named.some((n) => !n.glob && inside(n.path))) return true;
  const after = new IgnoreMatcher(newIgnore);
  const globs = [...named.filter((n) => n.glob).map((n) => n.path), ...(/[*?[]/.test(source) ? [source] : [])];
  return globs.some((g) => filesForSource(g, facts, ignore).length > 0 && filesForSource(g, facts, after).length === 0);
}
