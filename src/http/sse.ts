/**
 * Incremental parser for DashScope's server-sent events: `id:`, `event:`, one `data:` line and the
 * `:HTTP_STATUS/<code>` comment, events separated by a blank line. Follows the SSE rules (CRLF or
 * LF, one optional space after the colon, multi-line data joined with `\n`), so both DashScope's
 * compact framing and a standard server's framing parse. Pure: no I/O.
 */

/** One parsed event. */
export interface SseEvent {
  id: string | undefined;
  /** The `event:` field; `message` when absent, as in the SSE standard. */
  event: string;
  data: string;
  /** From the `:HTTP_STATUS/<code>` comment or a legacy `status:` field, when present. */
  status: number | undefined;
}

/** Feeds bytes in, takes whole events out. Handles UTF-8 sequences and lines split across chunks. */
export class SseParser {
  readonly #decoder = new TextDecoder('utf-8');
  #buffer = '';
  #id: string | undefined;
  #event: string | undefined;
  #data: string[] = [];
  #status: number | undefined;
  #hasFields = false;

  /** Parses a chunk and returns the events it completed. */
  push(chunk: Uint8Array | string): SseEvent[] {
    this.#buffer += typeof chunk === 'string' ? chunk : this.#decoder.decode(chunk, { stream: true });
    const events: SseEvent[] = [];
    let start = 0;
    for (;;) {
      const nl = this.#buffer.indexOf('\n', start);
      if (nl === -1) break;
      let line = this.#buffer.slice(start, nl);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      start = nl + 1;
      const event = this.#line(line);
      if (event) events.push(event);
    }
    this.#buffer = this.#buffer.slice(start);
    return events;
  }

  /** Ends the input: a last event without its blank line is still delivered. */
  end(): SseEvent[] {
    const events = this.push(this.#decoder.decode());
    if (this.#buffer !== '') {
      const event = this.#line(this.#buffer);
      this.#buffer = '';
      if (event) events.push(event);
    }
    const last = this.#dispatch();
    if (last) events.push(last);
    return events;
  }

  #line(line: string): SseEvent | undefined {
    if (line === '') return this.#dispatch();
    if (line.startsWith(':')) {
      const m = /^:\s*HTTP_STATUS\/(\d{3})\s*$/.exec(line);
      if (m) {
        this.#status = Number(m[1]);
        this.#hasFields = true;
      }
      return undefined;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    this.#hasFields = true;
    switch (field) {
      case 'id':
        this.#id = value;
        break;
      case 'event':
        this.#event = value;
        break;
      case 'data':
        this.#data.push(value);
        break;
      case 'status': {
        const n = Number(value);
        if (Number.isInteger(n)) this.#status = n;
        break;
      }
      default:
        break;
    }
    return undefined;
  }

  #dispatch(): SseEvent | undefined {
    if (!this.#hasFields) return undefined;
    const event: SseEvent = {
      id: this.#id,
      event: this.#event ?? 'message',
      data: this.#data.join('\n'),
      status: this.#status,
    };
    this.#event = undefined;
    this.#data = [];
    this.#status = undefined;
    this.#hasFields = false;
    return event;
  }
}
