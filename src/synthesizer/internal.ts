/**
 * The pool's private hook-up to a synthesizer. These symbols are not exported from the package
 * root, so the members keyed by them stay off the public surface (the way undici keys its
 * internals), while the pool, which imports this module, can reach them.
 */
import type { ConnectionCloseInfo } from '../connection.js';
import type { DashScopeError } from '../errors/index.js';
import type { TaskMetrics } from './task-metrics.js';

/** `synth[kSetHooks](hooks)`: installs the pool's instrumentation (replaces any earlier). */
export const kSetHooks: unique symbol = Symbol('dashscope-tts-pool.setHooks');
/**
 * `synth[kIdleMs]`: ms since the connection opened or last sent or received a message (pings do
 * not count); undefined without a connection.
 */
export const kIdleMs: unique symbol = Symbol('dashscope-tts-pool.idleMs');
/** `synth[kIsCancelling]`: a cancel was sent and the server has not yet ended the task. */
export const kIsCancelling: unique symbol = Symbol('dashscope-tts-pool.isCancelling');
/** `synth[kWhenIdle]()`: resolves when no task is running (never rejects). */
export const kWhenIdle: unique symbol = Symbol('dashscope-tts-pool.whenIdle');
/**
 * `synth[kBind](params, binding)`: `updateParams(params)` with the binding of `params` already
 * resolved by the pool, which shares one binding among the synthesizers it lends with the same
 * parameters; undefined to resolve it here.
 */
export const kBind: unique symbol = Symbol('dashscope-tts-pool.bind');
/**
 * `new SpeechSynthesizer({ [kResolved]: resolved })`: a synthesizer made with options resolved
 * (validated, defaults filled in) once for many, as a pool's are: nothing of them per synthesizer.
 */
export const kResolved: unique symbol = Symbol('dashscope-tts-pool.resolved');
/**
 * `synth[kForgetLastTask]()`: forgets the last task (its id, metrics, results and the last server
 * event), as before any task. The pool calls it when it keeps a returned synthesizer: the next
 * borrower does not see the previous one's task, and an idle synthesizer holds none of it (young
 * objects that would otherwise survive V8's next young collection and be promoted).
 */
export const kForgetLastTask: unique symbol = Symbol('dashscope-tts-pool.forgetLastTask');
/** `synth[kRenewConnection](signal)`: make-before-break renewal; resolves true when renewed. */
export const kRenewConnection: unique symbol = Symbol('dashscope-tts-pool.renewConnection');

/**
 * Instrumentation points for the pool. Hooks must not throw (their throws are ignored), except
 * `beforeTask`, whose throw is the way to refuse a task before anything is sent.
 */
export interface SynthesizerHooks {
  /** Awaited before every run-task; the signal aborts when the task ends; `deadline` is its timeoutMs. */
  beforeRunTask?: ((signal: AbortSignal, deadline?: number) => Promise<void>) | undefined;
  /** Called once when a task ends, with its metrics and, if it failed, the error. */
  onTaskEnd?: ((metrics: TaskMetrics, error: DashScopeError | undefined) => void) | undefined;
  /** Called when a connection opens. */
  onConnect?: ((connectionId: number, connectMs: number) => void) | undefined;
  /** Called when a connection closes. */
  onDisconnect?: ((connectionId: number, info: ConnectionCloseInfo) => void) | undefined;
  /** Called before a task is created; a throw refuses the task before anything is sent. */
  beforeTask?: (() => void) | undefined;
}
