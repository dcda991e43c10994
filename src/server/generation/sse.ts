/**
 * DashScope's server-sent-event framing (docs/protocol.md, "HTTP generation: streaming"): `id:`,
 * `event:`, the `:HTTP_STATUS/<code>` comment and one `data:` line, no space after the colons,
 * LF line endings, a blank line after each event.
 */

/** One event, framed exactly as DashScope sends it. */
export function sseFrame(id: number, event: 'result' | 'error', status: number, data: unknown): string {
  return `id:${id}\nevent:${event}\n:HTTP_STATUS/${status}\ndata:${JSON.stringify(data)}\n\n`;
}

/** The head of a stream response. */
export const SSE_CONTENT_TYPE = 'text/event-stream;charset=UTF-8';
