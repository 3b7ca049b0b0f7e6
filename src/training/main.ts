/** Training dispatcher: `npm run train -- <model> [options]`. Each model adds one entry. */
const trainers: Record<string, () => Promise<(argv: string[]) => Promise<void>>> = {
  language: async () => (await import("./language/train.js")).trainLanguage,
  face: async () => (await import("./face/train.js")).trainFace,
  facemesh: async () => (await import("./facemesh/train.js")).trainFacemesh,
  prosody: async () => (await import("./prosody/train.js")).trainProsody,
  burst: async () => (await import("./burst/train.js")).trainBurst,
};

const [model, ...rest] = process.argv.slice(2);
const load = model ? trainers[model] : undefined;
if (!load) {
  console.error(`usage: npm run train -- <${Object.keys(trainers).join("|")}> [options]`);
  process.exit(2);
}
await (await load())(rest);
