/**
 * TEST HOOKS: ways to make an inference worker die mid-task, so the test suite can check that a
 * dying worker costs only the message that was running on it. Inert unless the server process
 * runs with OPEN_EXPRESSION_TEST_HOOKS=1: without it these texts are measured like any other.
 */
import type { InferenceTask } from "./task.js";

export const TEST_HOOKS_ENABLED = process.env.OPEN_EXPRESSION_TEST_HOOKS === "1";

/** Text payloads (language model) that trigger a hook. */
export const TEST_HOOK_TEXT = {
  /** The worker thread calls process.exit while the task is running. */
  exit: "__open_expression_test_hook__:worker-exit",
  /** The worker thread throws an uncaught exception while the task is running. */
  throw: "__open_expression_test_hook__:worker-throw",
} as const;

/**
 * Runs a hook when the task asks for one (never settles: the thread dies first); returns
 * undefined for every other task.
 */
export function runTestHook(task: InferenceTask): Promise<never> | undefined {
  if (!TEST_HOOKS_ENABLED || task.input.kind !== "text") return undefined;
  const text = task.input.text;
  if (text !== TEST_HOOK_TEXT.exit && text !== TEST_HOOK_TEXT.throw) return undefined;
  // A short delay, so the main thread sees the task in flight when the worker dies.
  setTimeout(() => {
    if (text === TEST_HOOK_TEXT.exit) process.exit(70); // in a worker thread this ends the thread only
    throw new Error("test hook: uncaught exception in an inference worker");
  }, 50);
  return new Promise<never>(() => undefined);
}
