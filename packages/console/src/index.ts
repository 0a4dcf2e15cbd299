/**
 * The console's node entry: where the browser bundle is on disk, for the api to serve under `/console/`
 * (docs/ARCHITECTURE.md, "The SOC console"). The bundle is built by Vite at `npm install` (the root `build` script)
 * into `packages/console/bundle/`; `src/` and `dist/` sit at the same depth, so one relative path holds for both.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the built bundle (index.html, assets/), with a trailing separator. */
export const CONSOLE_BUNDLE_DIR: string = fileURLToPath(new URL('../bundle/', import.meta.url));

/** The URL path the bundle is built for (Vite `base`): every asset URL in index.html starts with it. */
export const CONSOLE_BASE_PATH = '/console/';

/** True when the bundle has been built (a source checkout without `npm install`'s build has none). */
export function consoleBundleBuilt(dir: string = CONSOLE_BUNDLE_DIR): boolean {
  return existsSync(join(dir, 'index.html'));
}
