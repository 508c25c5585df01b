import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';

// Templates sit beside the package, not in src: compiled code lives in dist/src/web.
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Package-relative path of a static asset or view folder. */
export function packagePath(...parts: string[]): string {
  return join(packageRoot, ...parts);
}

/** The page renderer: Eta with escaping on (it is Eta's default; stated so it stays so). */
export function createViews(): Eta {
  return new Eta({ views: packagePath('views'), autoEscape: true, cache: true });
}
