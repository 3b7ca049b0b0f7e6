import { readFileSync } from "node:fs";
import { decodeImage } from "/work/main/src/media/image.js";
import { detectFaces } from "/work/main/src/models/face/mediapipe/detector.js";
import { DEFAULT_RETRIES } from "/work/main/src/models/face/mediapipe/pipeline.js";
import { faceDescriptors } from "/work/main/src/models/face/faceres.js";
import { cosine } from "/work/main/src/models/face/identity.js";
for (const n of [1,2,3,4,5,6]) {
  const img = await decodeImage(readFileSync(`/work/main/node_modules/@vladmandic/face-api/demo/sample${n}.jpg`));
  const d = await detectFaces(img, { tiles: true, retries: DEFAULT_RETRIES });
  const v = await faceDescriptors(img, d);
  const sims: string[] = [];
  for (let i = 0; i < v.length; i++) for (let j = i + 1; j < v.length; j++) sims.push(cosine(v[i]!, v[j]!).toFixed(2));
  console.log(n, d.length, d.map(x=>`${Math.round(x.w)}:${x.score.toFixed(2)}`).join(" "), "max sim", sims.join(" "));
}
