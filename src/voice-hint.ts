/**
 * What to tell the user when the service refuses a voice. Its own words are
 * `[tts:]Engine return error code: 418`, which names neither the voice nor the reason; the
 * reasons are few and known (see the protocol spec, section 6).
 */

/** The parameters a hint is about. */
export interface VoiceHintParams {
  model?: string | undefined;
  voice?: string | undefined;
}

const UNKNOWN_VOICE = /Engine return error code: 418/;
const NO_VOICE = /^Request voice is invalid!?$/;
const WRONG_MODEL = /The requested voice '([^']*)' is not supported/;

/**
 * A hint for a task-failed event about the voice, or undefined when the failure is about
 * something else.
 * @param errorCode The event's `error_code` (e.g. `InvalidParameter`).
 * @param errorMessage The event's `error_message`.
 * @param params The task's model and voice.
 * @returns One sentence that names the voice and says what to check.
 */
export function voiceHint(
  errorCode: string | undefined,
  errorMessage: string | undefined,
  params: VoiceHintParams,
): string | undefined {
  const message = errorMessage ?? '';
  const voice = params.voice === undefined ? 'the voice' : `voice ${JSON.stringify(params.voice)}`;
  const model = params.model === undefined ? 'this model' : `model ${params.model}`;
  if (UNKNOWN_VOICE.test(message)) {
    return (
      `${voice} is not available for ${model} in this region: check its spelling and that it belongs ` +
      'to this model generation (v1 names such as longxiaochun, v2 names ending in _v2, v3 voices such ' +
      'as longanyang), that a cloned or designed voice is used with the model it was made for, and ' +
      'that the region (cn or intl) offers it; `npx dashscope-tts voices` lists the names the local server knows'
    );
  }
  if (NO_VOICE.test(message.trim())) {
    return 'no voice was given: set the voice parameter (for Sambert models the model names the voice)';
  }
  const wrongModel = WRONG_MODEL.exec(message);
  if (wrongModel || (errorCode === 'invalid_value' && /voice/i.test(message))) {
    const name = wrongModel?.[1] ? `voice ${JSON.stringify(wrongModel[1])}` : voice;
    return (
      `${name} cannot be used with ${model}: a cloned or designed voice works only with the ` +
      'model it was made for (its target_model)'
    );
  }
  return undefined;
}
