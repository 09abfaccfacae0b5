// The secret rules, listed here so that index.ts stays the single ordered registry.
import type { Rule } from '../core/rule.ts';
import { secretInArgOrEnv } from './PL401-secret-in-arg-or-env.ts';
import { secretLiteral } from './PL402-secret-literal.ts';
import { sensitiveFileInContext } from './PL403-sensitive-file-in-context.ts';
import { secretCopiedThenDeleted } from './PL404-secret-copied-then-deleted.ts';

export const secretRules: readonly Rule[] = [secretInArgOrEnv, secretLiteral, sensitiveFileInContext, secretCopiedThenDeleted];
