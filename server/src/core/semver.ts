// semver compiles its table of regular expressions when it is loaded (a few milliseconds of every CLI start),
// and most runs never compare a version: it loads on the first call.
import type * as Semver from 'semver';

let loaded: typeof Semver | undefined;

export function semver(): typeof Semver {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a require in a function is what keeps it lazy in the bundle
  return (loaded ??= require('semver') as typeof Semver);
}

export type SemVer = Semver.SemVer;
