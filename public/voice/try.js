// The landing page's try-it panel, spoken: the same microphone and detector as interviews;
// the speech segments stay in this page, and on Stop they go to the server as one WAV that is
// transcribed here and forgotten. The transcript fills the answer box, to be scored like a
// typed answer. Elements are found by their data-try roles when pressed (the panel's question
// appears after the page loaded).

import { listen, MICROPHONE, microphoneProblem, wav16k } from './listen.js';

const TRANSCRIBE = '/api/try/transcribe';
let session = null;

const el = (role) => document.querySelector(`[data-try="${role}"]`);
function say(text, bad = false) {
  const s = el('status');
  if (!s) return;
  s.textContent = text;
  s.classList.toggle('bad', bad);
}

async function start() {
  if (session) return;
  if (!navigator.mediaDevices?.getUserMedia || !window.AudioWorkletNode) {
    return say('This browser cannot record here. Type your answer instead.', true);
  }
  el('start').disabled = true;
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia(MICROPHONE);
  } catch (e) {
    el('start').disabled = false;
    return say(`${microphoneProblem(e)}, or type your answer.`, true);
  }
  const pcm = [];
  let stopped;
  const done = new Promise((r) => (stopped = r));
  try {
    const { ctx, node } = await listen(stream, (m) => {
      if (m.type === 'segment') {
        pcm.push(m.pcm);
        say(`Listening… ${pcm.length} part${pcm.length === 1 ? '' : 's'} of speech heard.`);
      } else if (m.type === 'stopped') {
        stopped();
      }
    });
    session = { stream, ctx, node, pcm, done };
  } catch (e) {
    stream.getTracks().forEach((t) => t.stop());
    el('start').disabled = false;
    return say(`Recording could not start: ${e.message}. Type your answer instead.`, true);
  }
  el('stop').disabled = false;
  say('Listening… answer out loud, then press Stop.');
}

async function stop() {
  const s = session;
  if (!s) return;
  session = null;
  el('stop').disabled = true;
  say('Finishing…');
  s.node.port.postMessage('stop');
  await Promise.race([s.done, new Promise((r) => setTimeout(r, 2000))]);
  s.stream.getTracks().forEach((t) => t.stop());
  await s.ctx.close().catch(() => {});
  el('start').disabled = false;
  if (!s.pcm.length) return say('No speech was heard. Check the microphone and try again, or type your answer.', true);
  const all = new Int16Array(s.pcm.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of s.pcm) {
    all.set(p, at);
    at += p.length;
  }
  say('Transcribing on this server…');
  const form = new FormData();
  form.set('audio', wav16k(all), 'answer.wav');
  let r;
  try {
    r = await fetch(TRANSCRIBE, { method: 'POST', body: form, headers: { Accept: 'application/json' } });
  } catch {
    return say('The connection failed. Try again, or type your answer.', true);
  }
  const data = await r.json().catch(() => ({}));
  if (!r.ok) return say((data && data.message) || `The server answered ${r.status}.`, true);
  const box = el('answer');
  box.value = data;
  box.dispatchEvent(new Event('input', { bubbles: true }));
  box.focus();
  say('Transcribed. Check the text, then score it. The recording was not kept.');
}

document.addEventListener('click', (e) => {
  const role = e.target.closest?.('[data-try]')?.dataset.try;
  if (role === 'start') start();
  else if (role === 'stop') stop();
});
