import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Trained weights live in `weights/<model>/` at the package root, outside `src/`, so the same
 * path works whether the code runs from `src/` (tsx, tests) or from the compiled `dist/`.
 */
function findPackageRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "weights"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`package root with weights/ not found above ${start}`);
    dir = parent;
  }
}

export const packageRoot = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

export function weightsPath(model: string, file: string): string {
  return join(packageRoot, "weights", model, file);
}
