import type { Rule } from '../core/rule.ts';
import type { DockerfileModel, Instr, PropertyModel, Stage } from '../core/model.ts';
import type { Fix, TextEdit } from '../core/types.ts';
import { isSecretName, secretIdFor } from '../core/secrets.ts';

export const secretInArgOrEnv: Rule = {
  id: 'PL401',
  name: 'secret-in-arg-or-env',
  category: 'secret',
  severity: 'warning',
  status: 'stable',
  fixSafety: 'unsafe',
  docs: {
    summary: 'An ARG or ENV whose name says it holds a secret (`GITHUB_TOKEN`, `DB_PASSWORD`, `npmAuthToken`), with or without a value.',
    why:
      'ARG and ENV values are recorded in the image: ENV in its config, ARG values used by a RUN in its history (`docker history`). Anyone who can pull the image can read them. BuildKit secrets are mounted only for the RUN that needs them and are never stored. Names are split on `_` and camelCase, as BuildKit\'s SecretsUsedInArgOrEnv check does; a name is secret-like when a word such as apikey, auth, credential(s), key(s), pass, password, passwd, passphrase, pword, secret or token is not followed by a qualifier (file, path, dir, url, uri, host, port, server, name, id, type, ...: `TOKEN_URL`, `PASSWORD_FILE`, `AWS_ACCESS_KEY_ID`). `public`, `pub`, `gpg` and `pgp` anywhere make a name public (`PUBLIC_KEY`, `GPG_KEYS`) unless it also says `private`. A literal secret in the value is reported by PL402 as well.',
    bad: 'FROM node:20.11.1-alpine\nARG NPM_TOKEN\nRUN echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > ~/.npmrc && npm ci && rm ~/.npmrc\n',
    good:
      '# syntax=docker/dockerfile:1.10\nFROM node:20.11.1-alpine\nRUN --mount=type=secret,id=npm-token,env=NPM_TOKEN echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > ~/.npmrc && npm ci && rm ~/.npmrc\n# docker build --secret id=npm-token,env=NPM_TOKEN .\n',
    fix: 'Unsafe: removes the ARG (or the ENV entry) and adds `--mount=type=secret,id=<name>,env=<NAME>` to every RUN of the stage (for ENV, also of stages built FROM it) that uses `$NAME`; the build must then be run with `docker build --secret id=<name>,env=<NAME>` (secret `env=` needs Dockerfile syntax 1.10 or later). It changes how the image is built and, for ENV, what the running container sees, so it is never applied by fix-all.',
    options: '`secrets.allowedNames`: globs (case-insensitive) of names that look secret but are not, e.g. `PUBLIC_KEY_URL`, `*_TOKEN_URL`.',
  },
  check(ctx) {
    const allowed = ctx.policy.secrets.allowedNames;
    for (const instr of ctx.model.instructions) {
      if (instr.keyword !== 'ARG' && instr.keyword !== 'ENV') continue;
      for (const p of instr.properties) {
        if (!isSecretName(p.name, allowed)) continue;
        const id = secretIdFor(p.name);
        const where = instr.keyword === 'ENV' ? 'is stored in the image config' : 'is recorded in the image history by every RUN that uses it';
        ctx.report({
          range: p.nameRange,
          message: `${instr.keyword} ${p.name} looks like a secret; its value ${where}. Use a BuildKit secret instead: RUN --mount=type=secret,id=${id},env=${p.name} and docker build --secret id=${id},env=${p.name}.`,
          key: `${instr.keyword}:${p.name}`,
          fixes: [toSecretMount(ctx.model, instr, p, id)],
          ...(instr.stage ? { stage: instr.stage } : {}),
        });
      }
    }
  },
};

function toSecretMount(model: DockerfileModel, instr: Instr, p: PropertyModel, id: string): Fix {
  const edits: TextEdit[] = [removeProperty(model, instr, p)];
  const mount = `--mount=type=secret,id=${id},env=${p.name}`;
  for (const run of runsUsing(model, instr, p.name)) {
    if (hasSecretMount(run, p.name)) continue;
    const at = afterKeyword(model, run);
    edits.push({ range: { start: at, end: at }, newText: `${mount} ` });
  }
  return {
    title: `Pass ${p.name} as a BuildKit secret (${mount}); build with --secret id=${id},env=${p.name}`,
    applicability: 'unsafe',
    changes: [{ edits }],
  };
}

/** Removes one entry; the whole instruction (its lines) when it is the only one. */
function removeProperty(model: DockerfileModel, instr: Instr, p: PropertyModel): TextEdit {
  const idx = model.index;
  const props = instr.properties;
  const k = props.indexOf(p);
  const endOf = (q: PropertyModel) => q.valueRange?.end ?? q.nameRange.end;
  if (props.length === 1) {
    const start = { line: instr.range.start.line, character: 0 };
    const nextLine = instr.range.end.line + 1;
    const end = nextLine < idx.lineCount ? { line: nextLine, character: 0 } : { line: instr.range.end.line, character: idx.lineLength(instr.range.end.line) };
    return { range: { start, end }, newText: '' };
  }
  // Take the separator that follows (or, for the last entry, the one before) so no gap or dangling continuation is left.
  if (k < props.length - 1) return { range: { start: p.nameRange.start, end: props[k + 1]!.nameRange.start }, newText: '' };
  return { range: { start: endOf(props[k - 1]!), end: endOf(p) }, newText: '' };
}

/** RUN instructions after `instr` that see the variable: in its stage, and for ENV in stages built FROM it. */
function runsUsing(model: DockerfileModel, instr: Instr, name: string): Instr[] {
  const stages: Stage[] = [];
  if (instr.stage) {
    stages.push(instr.stage);
    if (instr.keyword === 'ENV') {
      for (const s of model.stages) if (s.index > instr.stage.index && descendsFrom(s, instr.stage)) stages.push(s);
    }
  }
  const n = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // `$NAME`, `${NAME}`, and on Windows `$env:NAME` (PowerShell) and `%NAME%` (cmd).
  const shell = new RegExp(`\\$(?:\\{${n}|${n})(?![A-Za-z0-9_])`);
  const windows = new RegExp(`\\$env:${n}(?![A-Za-z0-9_])|%${n}%`, 'i');
  const ref = { test: (t: string) => shell.test(t) || windows.test(t) };
  const out: Instr[] = [];
  for (const s of stages) {
    for (const i of s.instructions) {
      if (i.index <= instr.index) continue;
      // A later declaration of the same name starts a new variable, with its own finding.
      if (s === instr.stage && (i.keyword === 'ARG' || i.keyword === 'ENV') && i.properties.some((q) => q.name === name)) break;
      if (i.keyword !== 'RUN') continue;
      if (ref.test(i.logical) || i.heredocs.some((h) => ref.test(h.content))) out.push(i);
    }
  }
  return out;
}

function descendsFrom(s: Stage, ancestor: Stage): boolean {
  let cur: Stage | undefined = s.image.stageRef;
  for (let n = 0; cur && n < 64; n++) {
    if (cur === ancestor) return true;
    cur = cur.image.stageRef;
  }
  return false;
}

function hasSecretMount(run: Instr, name: string): boolean {
  return run.flags.some((f) => f.name === 'mount' && f.options.get('type')?.value === 'secret' && f.options.get('env')?.value === name);
}

/** Just after `RUN` and its blanks: a new flag goes first and the existing ones stay as written. */
function afterKeyword(model: DockerfileModel, run: Instr) {
  const idx = model.index;
  let o = idx.offsetAt(run.keywordRange.end);
  while (model.text[o] === ' ' || model.text[o] === '\t') o++;
  return idx.positionAt(o);
}
