/**
 * The page's files, served from examples/web/public/ as they are (no build step). Only the files
 * listed here are served.
 */
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';

const PUBLIC = new URL('./public/', import.meta.url);
const FILES: Readonly<Record<string, string>> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/app.js': 'app.js',
  '/player.js': 'player.js',
  '/chart.js': 'chart.js',
  '/live-view.js': 'live-view.js',
  '/style.css': 'style.css',
};
const TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/**
 * Answers a GET for one of the page's files.
 * @returns false when `path` is not one of them (nothing was written).
 */
export async function serveStatic(path: string, response: ServerResponse): Promise<boolean> {
  const name = FILES[path];
  if (name === undefined) return false;
  const body = await readFile(new URL(name, PUBLIC));
  response.writeHead(200, {
    'content-type': TYPES[name.slice(name.lastIndexOf('.') + 1)] ?? 'application/octet-stream',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  response.end(body);
  return true;
}
