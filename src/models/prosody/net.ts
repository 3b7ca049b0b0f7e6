/**
 * The prosody sequence model (a ~48k-parameter 1-D CNN with attentive statistics pooling, trained
 * by src/training/prosody/net/train.py) on onnxruntime-node. Input: one segment's
 * `sequenceInput` frames (frames x SEQUENCE_CHANNELS, raw units: the standardisation is inside the
 * graph); output: probabilities of the eight RAVDESS emotions in RAVDESS_EMOTIONS order.
 */
import ort from "onnxruntime-node";
import { SEQUENCE_CHANNELS } from "./features.js";

export class SequenceNet {
  private constructor(private readonly session: ort.InferenceSession) {}

  static async load(file: string): Promise<SequenceNet> {
    return new SequenceNet(await ort.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1 }));
  }

  /** Class probabilities for one segment; `frames` holds frames x SEQUENCE_CHANNELS values. */
  async proba(frames: Float32Array): Promise<Float64Array> {
    const n = frames.length / SEQUENCE_CHANNELS;
    if (!Number.isInteger(n) || n < 1) throw new Error(`prosody net needs at least one frame of ${SEQUENCE_CHANNELS} channels`);
    const out = await this.session.run({ frames: new ort.Tensor("float32", frames, [1, n, SEQUENCE_CHANNELS]) });
    const logits = out.logits?.data as Float32Array | undefined;
    if (!logits) throw new Error("prosody net returned no logits");
    const p = Float64Array.from(logits);
    const max = Math.max(...p);
    let sum = 0;
    for (let k = 0; k < p.length; k++) { p[k] = Math.exp(p[k]! - max); sum += p[k]!; }
    return p.map((x) => x / sum);
  }
}
