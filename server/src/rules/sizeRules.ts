// The size rules, listed here so that index.ts stays the single ordered registry.
import type { Rule } from '../core/rule.ts';
import { copyContextOverBudget } from './PL501-copy-context-over-budget.ts';
import { aptInstallRecommends } from './PL502-apt-install-recommends.ts';
import { aptListsNotRemoved } from './PL503-apt-lists-not-removed.ts';
import { packageCacheLeft } from './PL504-package-cache-left.ts';
import { addRemoteArchive } from './PL505-add-remote-archive.ts';

export const sizeRules: readonly Rule[] = [copyContextOverBudget, aptInstallRecommends, aptListsNotRemoved, packageCacheLeft, addRemoteArchive];
