/**
 * Audio worklet (runs on the audio thread): forwards the microphone's first channel to the page
 * in blocks of about 100 ms, so the main thread handles ten messages a second rather than one
 * per 128-sample render quantum. Built as its own bundle and loaded by URL.
 */

// The AudioWorkletGlobalScope is not in TypeScript's DOM library; these are the parts used here.
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}
declare function registerProcessor(name: string, ctor: new () => AudioWorkletProcessor): void;
declare const sampleRate: number;

class PcmCapture extends AudioWorkletProcessor {
  private readonly blockSize = Math.round(sampleRate / 10);
  private buffer = new Float32Array(this.blockSize);
  private filled = 0;

  process(inputs: Float32Array[][]): boolean {
    const channel = inputs[0]?.[0];
    if (channel) {
      let offset = 0;
      while (offset < channel.length) {
        const n = Math.min(channel.length - offset, this.buffer.length - this.filled);
        this.buffer.set(channel.subarray(offset, offset + n), this.filled);
        this.filled += n;
        offset += n;
        if (this.filled === this.buffer.length) {
          // Transfer the block rather than copy it; a fresh buffer takes its place.
          this.port.postMessage(this.buffer, [this.buffer.buffer]);
          // (Sized from blockSize: the transferred buffer's own length now reads 0.)
          this.buffer = new Float32Array(this.blockSize);
          this.filled = 0;
        }
      }
    }
    return true; // keep running while the microphone is connected
  }
}

registerProcessor("pcm-capture", PcmCapture);
