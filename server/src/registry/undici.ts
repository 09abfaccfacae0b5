// undici costs about 100 ms to load, and most runs answer from the cache or never touch the network: it is
// loaded on the first request instead of at start-up.
import type * as Undici from 'undici';

let loaded: Promise<typeof Undici> | undefined;

export function undici(): Promise<typeof Undici> {
  return (loaded ??= import('undici'));
}
