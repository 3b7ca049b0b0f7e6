/**
 * `npm run train -- face [options]`: runs the expression network's trainer
 * (train_expression.py) with Debian's python3 and torch (`apt-get install python3-torch
 * python3-onnx`), passing the options through, with the datasets folder the other trainers use.
 * Training needs PyTorch, which has no maintained Node binding; serving stays in Node (ONNX).
 */
import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { packageRoot } from "../../package-paths.js";

export async function trainFace(argv: string[]): Promise<void> {
  const datasets = process.env["OPEN_EXPRESSION_DATASETS"] ?? resolve(packageRoot, "..", "shared", "datasets");
  const python = process.env["PYTHON"] ?? "/usr/bin/python3";
  const script = join(packageRoot, "src", "training", "face", "train_expression.py");
  const code = await new Promise<number | null>((done, fail) => {
    const child = spawn(python, [script, "--data", datasets, ...argv], { cwd: packageRoot, stdio: "inherit" });
    child.once("error", fail);
    child.once("exit", done);
  });
  if (code !== 0) throw new Error(`train_expression.py exited with ${code}`);
}
