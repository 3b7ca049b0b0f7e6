/**
 * Imports a Node-only module by a computed name: browser bundlers (esbuild, Rollup, webpack)
 * then neither resolve nor pack it, and callers only reach this when running under Node.
 */
export function nodeImport<T>(name: string): Promise<T> {
  return import(/* webpackIgnore: true */ /* @vite-ignore */ name) as Promise<T>;
}
