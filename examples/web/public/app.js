/**
 * The page: Speak posts the text and plays the audio while it streams in; Stop cancels the task
 * on the server; the live panel follows the pool over server-sent events. `body[data-state]`
 * says where the page is: idle, waiting, playing, received (all audio in), ended, stopped, failed.
 */
import { renderSnapshot } from './live-view.js';
import { StreamingPlayer } from './player.js';

const $ = (id) => document.getElementById(id);
const OTHER_VOICE = '__other__';
const player = new StreamingPlayer($('player'));
/** The running speech: {id, controller, started, bytes, stopped}. */
let current;
let maxCharacters = Infinity;

function setState(state, status) {
  document.body.dataset.state = state;
  $('status').textContent = status;
  const busy = state === 'waiting' || state === 'playing';
  $('speak').disabled = busy;
  $('stop').disabled = !(busy || state === 'received');
}

function showError(message) {
  $('error').textContent = message;
  $('error').hidden = false;
}

function figure(id, text, data) {
  $(id).textContent = text;
  if (data !== undefined) $(id).dataset.value = String(data);
  else delete $(id).dataset.value;
}

function resetFigures() {
  for (const id of ['first-packet', 'first-packet-server', 'first-sound', 'end-to-end', 'bytes', 'task-id']) {
    figure(id, '–');
  }
}

const ms = (value) => `${Math.round(value)} ms`;

function chosenVoice() {
  const voice = $('voice').value;
  return voice === OTHER_VOICE ? $('custom-voice').value.trim() : voice;
}

/** The error message of a failed API response, in words. */
async function errorMessage(response) {
  try {
    const body = await response.json();
    if (body?.error?.message) return body.error.message;
  } catch {
    // not JSON: fall through
  }
  return `The server answered ${response.status} ${response.statusText}.`;
}

function unreachable() {
  return `The web server at ${location.host} is not reachable. Is “npm run web” still running?`;
}

function fail(speech, message) {
  if (current === speech) current = undefined;
  player.reset();
  showError(message);
  setState('failed', 'Not spoken — see the message above.');
}

async function speak() {
  const text = $('text').value;
  const voice = chosenVoice();
  $('error').hidden = true;
  resetFigures();
  const speech = { id: crypto.randomUUID(), controller: new AbortController(), started: 0, bytes: 0 };
  current = speech;
  speech.started = performance.now();
  // Inside the click: the autoplay rules let play() start once audio is there.
  player.start();
  $('player').addEventListener(
    'playing',
    () => {
      if (current === speech) figure('first-sound', ms(performance.now() - speech.started));
    },
    { once: true },
  );
  if (voice === '') return fail(speech, 'Type the name of the voice to use.');
  setState('waiting', 'Waiting for a voice…');
  let response;
  try {
    response = await fetch('/api/speak', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: speech.id, text, voice, format: $('format').value }),
      signal: speech.controller.signal,
    });
  } catch {
    if (!speech.stopped) fail(speech, unreachable());
    return;
  }
  if (!response.ok) return fail(speech, await errorMessage(response));
  if (speech.stopped) return;
  figure('task-id', response.headers.get('x-task-id') ?? '–');
  $('task-id').title =
    response.headers.get('x-connection-reused') === 'true' ? 'on a reused connection' : 'on a new connection';
  const serverFirstPacket = Number(response.headers.get('x-first-packet-ms'));
  if (response.status === 200) figure('first-packet-server', ms(serverFirstPacket), serverFirstPacket);
  try {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (speech.bytes === 0) {
        const delay = performance.now() - speech.started;
        figure('first-packet', ms(delay), delay);
        setState('playing', 'Speaking… (audio still arriving)');
      }
      speech.bytes += value.byteLength;
      figure('bytes', `${speech.bytes.toLocaleString('en')} bytes`, speech.bytes);
      if (!(await player.append(value))) break;
    }
  } catch {
    if (speech.stopped) return;
    const why = await fetch(`/api/speech?id=${speech.id}`)
      .then((r) => r.json())
      .catch(() => undefined);
    return fail(speech, why?.speech?.error ?? `The audio stream broke off after ${speech.bytes} bytes.`);
  }
  if (speech.stopped) return;
  current = undefined;
  const total = performance.now() - speech.started;
  figure('end-to-end', ms(total), total);
  if (speech.bytes === 0) return fail(speech, 'The server sent no audio for this text.');
  setState('received', 'All audio received; playing…');
  await player.end();
}

async function stop() {
  const speech = current;
  current = undefined;
  player.reset();
  if (!speech) return setState('stopped', 'Stopped.');
  speech.stopped = true;
  setState('stopped', 'Stopping…');
  let status;
  try {
    const response = await fetch('/api/stop', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: speech.id }),
    });
    const record = (await response.json()).speech;
    status =
      record?.state === 'cancelled'
        ? `Stopped: task ${record.taskId ?? '(not started yet)'} was cancelled on the server.`
        : `Stopped (the task had already ${record?.state ?? 'ended'}).`;
  } catch {
    status = 'Stopped here; the server could not be told.';
  }
  speech.controller.abort();
  if (document.body.dataset.state === 'stopped') setState('stopped', status);
}

function updateCharacters() {
  const length = $('text').value.length;
  $('characters').textContent =
    `${length.toLocaleString('en')} characters (at most ${maxCharacters.toLocaleString('en')})`;
}

function listenLive() {
  const events = new EventSource('/api/events');
  events.addEventListener('snapshot', (event) => {
    $('live').textContent = 'live';
    $('live').className = 'badge live';
    renderSnapshot(JSON.parse(event.data));
  });
  events.addEventListener('error', () => {
    $('live').textContent = 'disconnected: the web server is not reachable';
    $('live').className = 'badge down';
  });
}

async function init() {
  if (!StreamingPlayer.supported) {
    showError(
      'This browser cannot play MP3 through Media Source Extensions; use a current Chrome, Edge or Firefox.',
    );
    return setState('failed', 'Cannot play here.');
  }
  let config;
  try {
    config = await fetch('/api/config').then((r) => r.json());
  } catch {
    showError(unreachable());
    return setState('failed', 'Not connected.');
  }
  $('backend').textContent =
    `${config.model} on ${config.backend === 'embedded' ? `the embedded server (${config.engine} voice)` : 'DashScope'} · ${config.poolSize} pooled connection${config.poolSize === 1 ? '' : 's'}`;
  for (const voice of config.voices)
    $('voice').append(new Option(voice, voice, false, voice === config.defaultVoice));
  $('voice').append(new Option('Other voice…', OTHER_VOICE));
  for (const format of config.formats) $('format').append(new Option(format.label, format.id));
  maxCharacters = config.maxCharacters;
  $('voice').addEventListener('change', () => ($('custom-voice').hidden = $('voice').value !== OTHER_VOICE));
  $('text').addEventListener('input', updateCharacters);
  $('speak').addEventListener('click', () => void speak());
  $('stop').addEventListener('click', () => void stop());
  $('player').addEventListener('ended', () => {
    if (document.body.dataset.state === 'received') setState('ended', 'Done.');
  });
  updateCharacters();
  listenLive();
  setState('idle', 'Ready.');
}

void init();
