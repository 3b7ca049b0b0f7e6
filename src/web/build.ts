/**
 * Builds the playground into dist/web with esbuild: the page script (our SDK included, so the
 * page uses the same client as Node programs), the audio worklet and the stylesheet, each with a
 * content hash in its name, and index.html pointing at them. Everything is local: the page
 * loads nothing from outside the server that serves it.
 *
 *   npm run build:web            (also part of `npm run build`)
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type BuildOptions, type Metafile, type Plugin } from "esbuild";
import { WEB_ROOT } from "../server/static.js";

const SOURCE = dirname(fileURLToPath(import.meta.url));

/** Browsers the page is written for: those with AudioWorklet (the CSS uses nothing newer). */
const TARGET = ["chrome100", "firefox100", "safari15"];

/**
 * zod's namespace re-exports every locale (about 260 KB minified) and esbuild cannot drop a
 * namespace re-export; the SDK only needs the English messages zod registers itself. This
 * swaps zod's locale index for one that exports English only.
 */
const englishOnlyZod: Plugin = {
  name: "zod-english-only",
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]/.test(args.importer) ? { path: join(dirname(args.importer), "..", "locales", "en.js"), namespace: "zod-locales" } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "zod-locales" }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: dirname(args.path),
      loader: "js",
    }));
  },
};

export interface WebBuild {
  outDir: string;
  /** Asset file names under outDir/assets, by role. */
  assets: { script: string; worklet: string; style: string };
  /** Bytes of the page's files, source maps not counted. */
  bytes: number;
}

export async function buildWeb(outDir = WEB_ROOT): Promise<WebBuild> {
  const assetsDir = join(outDir, "assets");
  // Old hashed files would otherwise pile up with every rebuild.
  await rm(outDir, { recursive: true, force: true });
  await mkdir(assetsDir, { recursive: true });
  const common: BuildOptions = {
    bundle: true,
    minify: true,
    sourcemap: "linked",
    target: TARGET,
    outdir: assetsDir,
    entryNames: "[name]-[hash]",
    logLevel: "warning",
    legalComments: "none",
    plugins: [englishOnlyZod],
    format: "esm",
    platform: "browser",
  };

  // The worklet runs in the audio thread's own global scope and is loaded by URL, so it is a
  // separate bundle whose (hashed) name the page script is told at build time.
  const worklet = await bundle({ ...common, entryPoints: [join(SOURCE, "pcm-worklet.ts")] });
  const workletName = outputName(worklet, ".js");
  const page = await bundle({
    ...common,
    entryPoints: [join(SOURCE, "main.ts"), join(SOURCE, "style.css")],
    define: { __PCM_WORKLET_URL__: JSON.stringify(`assets/${workletName}`) },
  });
  const script = outputName(page, ".js", "main");
  const style = outputName(page, ".css", "style");

  const html = (await readFile(join(SOURCE, "index.html"), "utf8"))
    .replaceAll("%SCRIPT%", `assets/${script}`)
    .replaceAll("%STYLE%", `assets/${style}`);
  await writeFile(join(outDir, "index.html"), html);

  const outputs = { ...worklet.outputs, ...page.outputs };
  const bytes = Object.entries(outputs).reduce((sum, [path, o]) => (path.endsWith(".map") ? sum : sum + o.bytes), Buffer.byteLength(html));
  return { outDir, assets: { script, worklet: workletName, style }, bytes };
}

async function bundle(options: BuildOptions): Promise<Metafile> {
  const result = await build({ ...options, metafile: true });
  if (!result.metafile) throw new Error("esbuild returned no metafile");
  return result.metafile;
}

/** The one output of a build with the given extension (and name prefix), as a bare file name. */
function outputName(meta: Metafile, ext: string, prefix = ""): string {
  const names = Object.keys(meta.outputs)
    .map((p) => basename(p))
    .filter((n) => n.endsWith(ext) && n.startsWith(prefix));
  if (names.length !== 1 || !names[0]) throw new Error(`expected one ${prefix}*${ext} output, got ${names.join(", ") || "none"}`);
  return names[0];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = performance.now();
  const out = await buildWeb();
  const where = relative(process.cwd(), out.outDir) || ".";
  console.log(`playground built in ${Math.round(performance.now() - started)} ms: ${where} (${(out.bytes / 1024).toFixed(0)} KiB without source maps)`);
}
