// Writes docs/rules/*.md and the README rule table from the rule modules; `--check` fails when they drift.
import { readFileSync, writeFileSync, readdirSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { allRules } from '../rules/index.ts';
import { renderRuleDoc, renderRuleTable, ruleDocFileName } from '../rules/docs.ts';

const root = process.cwd();
const check = process.argv.includes('--check');
const docsDir = join(root, 'docs', 'rules');
const stale: string[] = [];

function put(path: string, content: string): void {
  const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  if (current === content) return;
  if (check) stale.push(path);
  else writeFileSync(path, content);
}

mkdirSync(docsDir, { recursive: true });
const wanted = new Set<string>();
for (const rule of allRules) {
  const name = ruleDocFileName(rule);
  wanted.add(name);
  put(join(docsDir, name), renderRuleDoc(rule));
}
for (const f of readdirSync(docsDir)) {
  if (f.endsWith('.md') && !wanted.has(f)) {
    if (check) stale.push(join(docsDir, f));
    else unlinkSync(join(docsDir, f));
  }
}
const readmePath = join(root, 'README.md');
if (existsSync(readmePath)) {
  const readme = readFileSync(readmePath, 'utf8');
  const re = /(<!-- rules:start -->\n)[\s\S]*?(<!-- rules:end -->)/;
  if (re.test(readme)) put(readmePath, readme.replace(re, `$1${renderRuleTable(allRules)}\n$2`));
}
if (stale.length > 0) {
  console.error(`Rule docs are out of date (run npm run docs):\n  ${stale.join('\n  ')}`);
  process.exit(1);
}
