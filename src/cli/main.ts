#!/usr/bin/env node
import { Command } from "commander";
import { registerBatch } from "./batch.js";
import { registerMeasure } from "./measure.js";
import { registerServe } from "./serve.js";

const program = new Command()
  .name("open-expression")
  .description("Self-hosted expression measurement with Hume's v0 streaming protocol")
  .version("0.1.0");
registerServe(program);
registerMeasure(program);
registerBatch(program);
await program.parseAsync(process.argv);
