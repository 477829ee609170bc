// The package ships no typings. This declares only the part of its Emscripten/WebIDL surface that
// espeak.ts drives; the shapes come from the package's espeak-ng.js and the glue of echogarden's
// espeak-ng fork (emscripten/espeakng_glue.cpp), which is how echogarden itself calls it.
declare module '@echogarden/espeak-ng-emscripten' {
  export interface ESpeakNGWorker {
    /** Output rate of every voice, in Hz (22050 for this build). */
    readonly samplerate: number;
    /** `language[+variant]`, e.g. `en-us+f1`; returns 0 on success (an unknown variant still returns 0). */
    set_voice(name: string): number;
    /** Words per minute (espeak default 175). */
    set_rate(wpm: number): void;
    /** Base pitch, 0–100 (espeak default 50). */
    set_pitch(pitch: number): void;
    /** Pitch range, 0–100: 0 is monotone, 50 the voice's own range, 100 twice it. */
    set_range(range: number): void;
    /** Amplitude, 0–200 (espeak default 100). */
    set_volume(volume: number): void;
    /**
     * Synthesises `text` (parsed as SSML) and calls `onChunk` with each block of 16-bit samples;
     * returning true from it stops synthesis.
     */
    synthesize(text: string, onChunk: (samples: Int16Array, events: unknown[]) => boolean): void;
  }

  export interface ESpeakNGModule {
    eSpeakNGWorker: new () => ESpeakNGWorker;
  }

  /** Instantiates the WASM module and loads espeak-ng.data (~24 MB) from beside the script. */
  export default function createESpeakNGModule(): Promise<ESpeakNGModule>;
}
