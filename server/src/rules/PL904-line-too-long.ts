import type { Rule } from '../core/rule.ts';
import { KEEP_LINE_CHARS, MAX_LINE_CHARS } from '../core/model.ts';
import { formatCount } from '../core/units.ts';

export const lineTooLong: Rule = {
  id: 'PL904',
  name: 'line-too-long',
  category: 'policy',
  severity: 'info',
  status: 'stable',
  fixSafety: 'none',
  docs: {
    summary: `A line longer than ${formatCount(MAX_LINE_CHARS)} characters: only its first ${formatCount(KEEP_LINE_CHARS)} characters were checked.`,
    why: 'Lines that long are generated, not written, and parsing all of them would cost hundreds of megabytes in the editor and in CI. Plimsoll checks the start of the line and says plainly that it skipped the rest, rather than pretending the whole line is clean.',
    bad: 'RUN echo a && echo b && ... (2 MB on one line)\n',
    good: 'COPY install.sh /tmp/\nRUN sh /tmp/install.sh\n',
  },
  check(ctx) {
    for (const e of ctx.model.elided) {
      ctx.report({
        range: { start: { line: e.line, character: e.from }, end: { line: e.line, character: e.from + e.length } },
        message: `Line ${e.line + 1} is ${formatCount(e.from + e.length)} characters long; only the first ${formatCount(e.from)} were checked, ${formatCount(e.length)} were skipped.`,
        key: `line:${e.line}`,
      });
    }
  },
};
