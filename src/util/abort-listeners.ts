/**
 * Abort listeners that cost the same however many wait on one signal. Node's `EventTarget` walks
 * a signal's whole listener list on every add and remove (to find a duplicate), so the pool's
 * 1,000 connects waiting on its one shutdown signal, or an application passing its one signal to
 * every call, paid a step per waiter on each: quadratic. Here a signal has one real listener while
 * anyone waits, and the waiters sit in a Set.
 */

type Listener = () => void;

interface Waiters {
  readonly listeners: Set<Listener>;
  readonly dispatch: () => void;
}

const bySignal = new WeakMap<AbortSignal, Waiters>();

/**
 * Calls `listener` once when `signal` aborts (in the order listeners were added, as `EventTarget`
 * does), unless the returned function was called first. A listener removed while others run is not
 * called; one that throws does not stop the rest, and its error is rethrown on its own, as an
 * uncaught exception, as `EventTarget` reports it. One function added twice is one listener, as
 * with `EventTarget`. The caller checks `signal.aborted` first: on an aborted signal the listener
 * is never called.
 */
export function onAbort(signal: AbortSignal, listener: Listener): () => void {
  let waiters = bySignal.get(signal);
  if (waiters === undefined) {
    const listeners = new Set<Listener>();
    const dispatch = (): void => {
      bySignal.delete(signal);
      for (const each of listeners) {
        listeners.delete(each);
        try {
          each();
        } catch (error) {
          process.nextTick(() => {
            throw error;
          });
        }
      }
    };
    waiters = { listeners, dispatch };
    bySignal.set(signal, waiters);
    signal.addEventListener('abort', dispatch, { once: true });
  }
  const { listeners, dispatch } = waiters;
  listeners.add(listener);
  return () => {
    if (!listeners.delete(listener) || listeners.size > 0) return;
    // The last one left: let go of the signal, as removeEventListener would.
    signal.removeEventListener('abort', dispatch);
    if (bySignal.get(signal) === waiters) bySignal.delete(signal);
  };
}
