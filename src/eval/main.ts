/** Evaluation dispatcher: `npm run eval -- <model> [options]`. Each model adds one entry. */
const evaluators: Record<string, () => Promise<(argv: string[]) => Promise<void>>> = {
  language: async () => (await import("./language.js")).evalLanguage,
  face: async () => (await import("./face.js")).evalFace,
  "face-mediapipe": async () => (await import("./face-mediapipe.js")).evalFaceMediapipe,
  prosody: async () => (await import("./prosody.js")).evalProsody,
  burst: async () => (await import("./burst.js")).evalBurst,
};

const [model, ...rest] = process.argv.slice(2);
const load = model ? evaluators[model] : undefined;
if (!load) {
  console.error(`usage: npm run eval -- <${Object.keys(evaluators).join("|")}> [options]`);
  process.exit(2);
}
await (await load())(rest);
