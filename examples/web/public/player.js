/**
 * Plays an MP3 stream in the page's <audio> element while it arrives, through Media Source
 * Extensions: every chunk read from the response is appended to a SourceBuffer, and the element
 * starts as soon as it holds the first few frames. The element stays a normal player (pause,
 * seek back, volume, currentTime).
 */

/** Resolves at the SourceBuffer's next updateend, abort or error. */
function settled(sourceBuffer) {
  return new Promise((resolve) => {
    const done = () => {
      for (const name of ['updateend', 'abort', 'error']) sourceBuffer.removeEventListener(name, done);
      resolve();
    };
    for (const name of ['updateend', 'abort', 'error']) sourceBuffer.addEventListener(name, done);
  });
}

export class StreamingPlayer {
  /** @param {HTMLAudioElement} audio */
  constructor(audio) {
    this.audio = audio;
    this.generation = 0;
  }

  /** Whether this browser can play MP3 through Media Source Extensions. */
  static get supported() {
    return typeof MediaSource !== 'undefined' && MediaSource.isTypeSupported('audio/mpeg');
  }

  /**
   * Attaches a fresh MediaSource and asks the element to play. Call it inside the click handler:
   * autoplay rules allow play() there, and it resolves once the first audio plays.
   */
  start() {
    this.reset();
    const generation = ++this.generation;
    const mediaSource = new MediaSource();
    this.mediaSource = mediaSource;
    this.sourceBuffer = undefined;
    this.url = URL.createObjectURL(mediaSource);
    this.opened = new Promise((resolve) => {
      this.cancelOpen = resolve;
      mediaSource.addEventListener('sourceopen', () => resolve(generation === this.generation), {
        once: true,
      });
    });
    this.audio.src = this.url;
    // Rejected when a reset interrupts it; nothing to report then.
    this.audio.play().catch(() => undefined);
  }

  /** Appends a chunk of MP3; resolves once the element has taken it (false after a reset). */
  async append(chunk) {
    const generation = this.generation;
    if (!(await this.opened) || generation !== this.generation) return false;
    const mediaSource = this.mediaSource;
    if (mediaSource.readyState !== 'open') return false;
    this.sourceBuffer ??= mediaSource.addSourceBuffer('audio/mpeg');
    await this.#evictPlayed();
    if (generation !== this.generation) return false;
    try {
      const done = settled(this.sourceBuffer);
      this.sourceBuffer.appendBuffer(chunk);
      await done;
    } catch (error) {
      // A full buffer: drop what has been played and try once more.
      if (error.name !== 'QuotaExceededError') throw error;
      await this.#evictPlayed(0);
      const done = settled(this.sourceBuffer);
      this.sourceBuffer.appendBuffer(chunk);
      await done;
    }
    return generation === this.generation;
  }

  /** Tells the element that no more audio will come, so that it ends instead of waiting. */
  async end() {
    const generation = this.generation;
    if (!(await this.opened) || generation !== this.generation) return;
    if (this.mediaSource.readyState === 'open' && !this.sourceBuffer?.updating)
      this.mediaSource.endOfStream();
  }

  /** Stops playback and detaches the stream; pending appends resolve to false. */
  reset() {
    this.generation++;
    this.cancelOpen?.(false);
    this.audio.pause();
    this.audio.removeAttribute('src');
    this.audio.load();
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = undefined;
    this.mediaSource = undefined;
    this.sourceBuffer = undefined;
  }

  /** Removes audio played more than `keepSeconds` ago, so that long speeches fit the buffer quota. */
  async #evictPlayed(keepSeconds = 30) {
    const buffer = this.sourceBuffer;
    if (!buffer || buffer.buffered.length === 0) return;
    const end = this.audio.currentTime - keepSeconds;
    if (end <= buffer.buffered.start(0) + 1) return;
    const done = settled(buffer);
    buffer.remove(0, end);
    await done;
  }
}
