// The size rules, listed here so that index.ts stays the single ordered registry.
import type { Rule } from '../core/rule.ts';

export const sizeRules: readonly Rule[] = [];
