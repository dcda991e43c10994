/** A store call bounded in time: a store that does not answer counts as a failed one. */

/** Resolves or rejects as `promise` does, or rejects with `message` after `ms`; the timer never outlives it. */
export async function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
