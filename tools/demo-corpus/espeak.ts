import createESpeakNGModule from '@echogarden/espeak-ng-emscripten';

/** One call to the synthesiser: what to say, in which voice and with which prosody. */
export interface EspeakUtterance {
  /** Plain text (escaped here, because the engine parses its input as SSML). */
  text: string;
  /** `language+variant`, e.g. `en-gb-x-rp+f4`. */
  voice: string;
  rateWpm: number;
  /** espeak base pitch, 0–100 (50 = the voice's own). */
  pitch: number;
  /** espeak pitch range, 0–100 (50 = the voice's own, 0 = monotone). */
  pitchRange: number;
}

export interface EspeakEngine {
  readonly sampleRateHz: number;
  /** @returns mono samples scaled to [-1, 1] at `sampleRateHz` (caller owns them) */
  synthesize(utterance: EspeakUtterance): Float32Array;
}

/**
 * Loads one espeak-ng instance. Its output depends on the calls made before (the wavegen keeps
 * phase state between utterances), so a fixed call order gives byte-identical audio.
 */
export async function createEspeakEngine(): Promise<EspeakEngine> {
  const module = await createESpeakNGModule();
  const worker = new module.eSpeakNGWorker();
  return {
    sampleRateHz: worker.samplerate,
    synthesize(utterance: EspeakUtterance): Float32Array {
      const status = worker.set_voice(utterance.voice);
      if (status !== 0) {
        throw new Error(
          `espeak-ng: set_voice('${utterance.voice}') returned ${status}, expected 0; check the language code`,
        );
      }
      worker.set_rate(Math.round(utterance.rateWpm));
      worker.set_pitch(clampParam(utterance.pitch));
      worker.set_range(clampParam(utterance.pitchRange));
      // Loudness is set after synthesis, in the float domain, where it cannot clip.
      worker.set_volume(100);
      const chunks: Int16Array[] = [];
      worker.synthesize(escapeXml(utterance.text), (samples) => {
        chunks.push(samples);
        return false;
      });
      return int16ChunksToFloat(chunks);
    },
  };
}

function clampParam(value: number): number {
  return Math.min(100, Math.max(0, Math.round(value)));
}

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function int16ChunksToFloat(chunks: readonly Int16Array[]): Float32Array {
  const out = new Float32Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    for (let i = 0; i < chunk.length; i++) out[offset + i] = (chunk[i] ?? 0) / 32768;
    offset += chunk.length;
  }
  return out;
}
