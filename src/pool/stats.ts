/** What `pool.stats()` reports: the pool's size right now. */

/** A snapshot of the pool's size. */
export interface PoolStats {
  /** The most synthesizers (one connection each) the pool holds at once: its `maxSize` option. */
  maxSize: number;
  /** Synthesizers that exist or are being created (not those being closed). */
  size: number;
  /** Idle and ready to lend. */
  available: number;
  /** Lent out. */
  borrowed: number;
  /** Borrowers waiting. */
  pending: number;
  /** Synthesizers whose connection is being opened. */
  connecting: number;
  /** Synthesizers whose socket is being closed (they still count toward maxSize). */
  closing: number;
}
