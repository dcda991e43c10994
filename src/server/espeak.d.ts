// Ambient types for @echogarden/espeak-ng-emscripten (an ESM package that ships no types);
// only what engine-espeak.ts uses.
declare module '@echogarden/espeak-ng-emscripten' {
  export interface ESpeakEvent {
    type: string;
    text_position: number;
    word_length: number;
    audio_position: number;
    id?: number | string;
  }
  export interface ESpeakNGWorker {
    readonly samplerate: number;
    set_voice(name: string): number;
    set_rate(wordsPerMinute: number): void;
    set_pitch(pitch: number): void;
    synthesize(
      text: string,
      callback: (samples: Int16Array, events: ESpeakEvent[]) => number | boolean,
    ): void;
  }
  export interface ESpeakModule {
    eSpeakNGWorker: new () => ESpeakNGWorker;
  }
  const init: () => Promise<ESpeakModule>;
  export default init;
}
