import type { Rule } from '../core/rule.ts';
import { memoLocal, type Instr } from '../core/model.ts';
import type { Range } from '../core/types.ts';

const ARCHIVE = /\.(tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst|zip|gz|bz2|xz)$/i;
// Git sources (`ADD https://github.com/o/r.git#v1`) are pinned by their ref, not by a file checksum.
const GIT = /\.git(#.*)?$|^git@|^git:\/\//i;

const URL_SOURCES = Symbol('plimsoll.urlSources');

/** The http(s) sources of an ADD, with the range of each URL as written (inside the quotes in JSON form). */
function urlSources(instr: Instr): Array<{ url: string; range: Range }> {
  // Kept across edits elsewhere in the document (memoLocal): generated files hold thousands of these.
  return memoLocal(instr, URL_SOURCES, () => readUrlSources(instr));
}

function readUrlSources(instr: Instr): Array<{ url: string; range: Range }> {
  const json = /^\s*\[/.test(instr.logical);
  let values: Array<{ url: string; range: Range }> = [];
  if (json) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(instr.logical);
    } catch {
      parsed = undefined;
    }
    if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) {
      const base = instr.offsetAt(instr.range.start);
      for (const m of instr.text.matchAll(/"(?:[^"\\\n]|\\.)*"/g)) {
        values.push({ url: JSON.parse(m[0]) as string, range: instr.rangeOf(base + m.index + 1, base + m.index + m[0].length - 1) });
      }
    }
  }
  if (!json || values.length === 0) {
    let args = instr.args;
    if (instr.heredocs.length > 0) args = args.slice(0, instr.logical.trim().split(/\s+/).length);
    values = args.map((a) => ({ url: a.value, range: a.range }));
  }
  return values.slice(0, -1).filter((v) => /^https?:\/\//i.test(v.url) && !GIT.test(v.url));
}

/** The last path segment of a URL, for messages. */
function fileName(url: string): string {
  const last = url.replace(/[?#].*$/, '').replace(/\/+$/, '').replace(/^.*\//, '');
  try {
    return decodeURIComponent(last) || url;
  } catch {
    return last || url;
  }
}

export const addRemoteArchive: Rule = {
  id: 'PL505',
  name: 'add-remote-archive',
  category: 'size',
  severity: 'warning',
  status: 'stable',
  fixSafety: 'none',
  docs: {
    summary: '`ADD` of an http(s) URL without `--checksum`.',
    why: 'ADD keeps the download as it is in its own layer (a remote archive is not even extracted), so an archive unpacked by a later RUN is shipped twice, and nothing checks that the bytes are the ones that were reviewed: the server can change them under the same URL.',
    bad: 'ADD https://nodejs.org/dist/v20.11.1/node-v20.11.1-linux-x64.tar.xz /tmp/\nRUN tar -xJf /tmp/node-v20.11.1-linux-x64.tar.xz -C /usr/local --strip-components=1\n',
    good: 'ADD --checksum=sha256:<digest> https://nodejs.org/dist/v20.11.1/node-v20.11.1-linux-x64.tar.xz /tmp/\n# or download, verify, unpack and delete in one layer:\nRUN curl -fsSLo /tmp/node.tar.xz https://nodejs.org/dist/v20.11.1/node-v20.11.1-linux-x64.tar.xz \\\n    && echo "<digest>  /tmp/node.tar.xz" | sha256sum -c - \\\n    && tar -xJf /tmp/node.tar.xz -C /usr/local --strip-components=1 \\\n    && rm /tmp/node.tar.xz\n',
    fix: 'None: the checksum has to come from the publisher.',
    options: 'None. `ADD` of a local archive (auto-extracted) and of a git repository are not flagged.',
  },
  check(ctx) {
    const { model } = ctx;
    for (const instr of model.instructions) {
      if (instr.keyword !== 'ADD' || instr.flags.some((f) => f.name === 'checksum')) continue;
      for (const { url, range } of urlSources(instr)) {
        const name = fileName(url);
        const archive = ARCHIVE.test(name) ? ' It is not extracted, so unpacking it in a later RUN ships it twice.' : '';
        ctx.report({
          range,
          message: `ADD downloads ${name} without --checksum: the bytes are not verified and stay in their own layer.${archive} Pin it with ADD --checksum=sha256:<digest>, or download, verify and clean up in one RUN.`,
          key: url,
          ...(instr.stage ? { stage: instr.stage } : {}),
        });
      }
    }
  },
};
