// Worker entry used only when running from TypeScript sources (tests, training, benchmarks):
// registers tsx in this thread, then loads the real worker. Built code never uses this file.
import { register } from "tsx/esm/api";

register();
const worker = await import("./worker.ts");
export default worker.default;
export const warm = worker.warm;
export const runBatch = worker.runBatch;
