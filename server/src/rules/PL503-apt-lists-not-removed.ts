import type { Rule } from '../core/rule.ts';
import type { DockerfileModel, Instr } from '../core/model.ts';
import type { Applicability, Fix, TextEdit } from '../core/types.ts';
import { basename, programIndex, runCommands, type RunScript } from '../core/shell.ts';
import { cacheMountTargets, instructionsAfter, removes, shippedStages, toolUses, useRange } from './PL50x-shared.ts';

const LISTS = /^\/var\/lib\/apt\/lists(\/\*?)?$/;
// Mounts that keep the lists out of the layer: the lists folder itself or a folder above it.
const LIST_MOUNTS = new Set(['/var/lib/apt/lists', '/var/lib/apt', '/var/lib', '/var']);
// apt commands that read the package lists, so they fail once the lists are gone.
const NEEDS_LISTS = new Set(['install', 'upgrade', 'dist-upgrade', 'full-upgrade', 'build-dep', 'source', 'download', 'satisfy', 'reinstall']);

export const aptListsNotRemoved: Rule = {
  id: 'PL503',
  name: 'apt-lists-not-removed',
  category: 'size',
  severity: 'info',
  status: 'stable',
  fixSafety: 'safe and unsafe',
  hadolint: ['DL3009'],
  docs: {
    summary: 'A RUN that runs `apt-get update` but does not remove `/var/lib/apt/lists/*` in the same RUN, in a stage that ends up in an image.',
    why: '`apt-get update` downloads the package lists (tens of megabytes for Debian and Ubuntu) into `/var/lib/apt/lists`. They are only needed while installing; left there they are shipped in the layer, and deleting them in a later RUN does not shrink the image because the earlier layer still holds them.',
    bad: 'RUN apt-get update \\\n    && apt-get install -y --no-install-recommends curl\n',
    good: 'RUN apt-get update \\\n    && apt-get install -y --no-install-recommends curl \\\n    && rm -rf /var/lib/apt/lists/*\n',
    fix: 'Appends `&& rm -rf /var/lib/apt/lists/*` on a new continuation line at the end of a shell-form RUN, with the file\'s escape character and the RUN\'s own style (`&& \\` at line ends or `&&` at line starts). Safe when nothing later relies on the lists; unsafe when a later RUN in the stage (or a stage built FROM it) runs `apt-get install` without its own `apt-get update`, since that RUN would then fail. No fix for heredoc or exec-form RUNs, or a RUN ending in `;` or `&`.',
    options: 'None. Builder stages that are only copied from (`COPY --from`) are not checked: their files never reach the shipped image. A `--mount=type=cache` or `type=tmpfs` on `/var/lib/apt/lists` (or `/var/lib/apt`) keeps the lists out of the layer and silences the rule.',
  },
  check(ctx) {
    const { model } = ctx;
    const shipped = shippedStages(model);
    for (const instr of model.instructions) {
      if (instr.keyword !== 'RUN' || !instr.stage || !shipped.has(instr.stage)) continue;
      const uses = toolUses(model, instr).filter((u) => u.tool === 'apt-get');
      const update = uses.find((u) => u.sub?.value === 'update');
      // apt 3's `dist-clean` removes the lists along with the caches.
      if (!update || uses.some((u) => u.sub?.value === 'dist-clean')) continue;
      if (cacheMountTargets(instr).some((t) => LIST_MOUNTS.has(t))) continue;
      if (removes(runCommands(model, instr), LISTS)) continue;
      const fix = appendRemoval(model, instr, update.script, laterRunNeedsLists(model, instr) ? 'unsafe' : 'safe');
      ctx.report({
        range: useRange(update),
        message: `\`${update.program} update\` leaves the package lists in /var/lib/apt/lists, which ship in this layer; remove them in the same RUN with \`rm -rf /var/lib/apt/lists/*\`.`,
        // The RUN's commands, so that fixing one RUN does not renumber the findings of the others.
        key: runCommands(model, instr).map((c) => c.words.map((w) => w.value).join(' ')).join(' ; '),
        fixes: fix ? [fix] : [],
        stage: instr.stage,
      });
    }
  },
};

/** A later RUN that installs with apt without updating first relies on the lists this RUN leaves behind. */
function laterRunNeedsLists(model: DockerfileModel, instr: Instr): boolean {
  for (const later of instructionsAfter(model, instr)) {
    if (later.keyword !== 'RUN') continue;
    const uses = toolUses(model, later).filter((u) => u.tool === 'apt-get');
    if (uses.some((u) => u.sub?.value === 'update')) continue;
    if (uses.some((u) => NEEDS_LISTS.has(u.sub?.value ?? ''))) return true;
    const commands = runCommands(model, later);
    if (commands.some((c) => basename(c.words[programIndex(c.words)]?.value ?? '') === 'apt-cache')) return true;
  }
  return false;
}

/** `&& rm -rf /var/lib/apt/lists/*` on a new continuation line, in the RUN's own style. */
function appendRemoval(model: DockerfileModel, instr: Instr, script: RunScript, applicability: Applicability): Fix | undefined {
  if (script.origin !== 'line' || instr.heredocs.length > 0 || script.trailingOperator !== '' || script.unclosed) return undefined;
  const { index, escapeChar: esc } = model;
  // Only blanks or a comment may follow the last word: otherwise the parser and BuildKit may disagree on
  // where the RUN ends (a line ending `\ \`), and the appended text would not join the RUN.
  const rest = model.text.slice(script.end, index.offsetAt(instr.range.end));
  if (!/^[ \t]*(#[^\n]*)?$/.test(rest.replace(/\r$/, '')) || rest.trimEnd().endsWith(esc)) return undefined;
  const at = index.positionAt(script.end);
  const first = instr.range.start.line;
  const lines: string[] = [];
  for (let l = first; l <= at.line; l++) lines.push(index.lineText(l));
  const lineEnd = index.lineStarts[at.line]! + index.lineLength(at.line);
  const eol = model.text.startsWith('\r\n', lineEnd) || (lineEnd === model.text.length && model.text.includes('\r\n')) ? '\r\n' : '\n';
  const indentOf = (line: string) => /^[ \t]*/.exec(line)![0];
  // Style: operators at the end of lines (`a && \`) or at the start of the next (`  && b`).
  const trailingStyle = lines.some((l) => l.trimEnd().endsWith(`&& ${esc}`) || l.trimEnd().endsWith(`&&${esc}`));
  let indent = '    ';
  if (trailingStyle) {
    const lastStart = script.commands.at(-1)?.range.start.line ?? first;
    if (lastStart > first) indent = indentOf(index.lineText(lastStart));
  } else {
    const opLines = lines.slice(1).filter((l) => /^\s*(&&|\|\||;)/.test(l));
    if (opLines.length > 0) indent = indentOf(opLines.at(-1)!);
    else if (lines.length > 1) indent = indentOf(lines[1]!);
  }
  if (indent === '') indent = '    ';
  const newText = trailingStyle ? ` && ${esc}${eol}${indent}rm -rf /var/lib/apt/lists/*` : ` ${esc}${eol}${indent}&& rm -rf /var/lib/apt/lists/*`;
  const edit: TextEdit = { range: { start: at, end: at }, newText };
  const title = applicability === 'safe' ? 'Remove the apt lists at the end of this RUN' : 'Remove the apt lists at the end of this RUN (a later RUN installs without apt-get update)';
  return { title, applicability, changes: [{ edits: [edit] }] };
}
