// Refrain's page: send a file or a microphone recording to POST /api/query, show the ranking, play the matched
// span of a recording (GET /api/items/{key}/audio with byte ranges) and draw the alignment path.
// Recordings are made with MediaRecorder, then decoded with WebAudio and sent as 16-bit PCM WAV at 22050 Hz:
// the server does not read the WebM/Opus that browsers record.
'use strict';

const $ = (id) => document.getElementById(id);

const TASK_NAMES = {
  'audio-match': 'Where else does this passage occur',
  'midi-to-audio': 'Which recording is this score',
  'version': 'Which work is this performance of',
  'humming': 'Which tune am I humming',
};
const MAX_RECORD_SECONDS = 30;
const WAV_RATE = 22050;

const state = {
  tasks: [],
  humming: false,
  items: new Map(),      // key -> item JSON (or null when unknown)
  result: null,
  selected: 0,
  recorder: null,
  queryURL: null,
  playing: null,         // {key, start, end, button}
};

// ---------- status and formatting ----------

function setStatus(text, kind) {
  const el = $('status');
  el.textContent = text;
  el.className = 'status' + (kind ? ' ' + kind : '');
}

function clock(seconds) {
  if (seconds == null || !isFinite(seconds)) return '';
  const m = Math.floor(seconds / 60);
  const s = seconds - m * 60;
  return m + ':' + (s < 10 ? '0' : '') + s.toFixed(1);
}

function errorMessage(body, response) {
  if (body && body.error && body.error.message) return body.error.message;
  return 'The server answered ' + response.status + ' ' + response.statusText + '.';
}

// ---------- the index ----------

async function loadHealth() {
  try {
    const response = await fetch('/api/health');
    const body = await response.json().catch(() => null);
    if (!response.ok) throw new Error(errorMessage(body, response));
    state.tasks = body.tasks || [];
    state.humming = state.tasks.some((t) => t.name === 'humming');
    const select = $('task-select');
    for (const task of state.tasks) {
      const option = document.createElement('option');
      option.value = task.name;
      option.textContent = (TASK_NAMES[task.name] || task.name) + ' (' + task.name + ')';
      option.title = task.summary;
      select.appendChild(option);
    }
    $('hum-choice').hidden = !state.humming;
    $('record-hint').textContent = state.humming
      ? 'Hum or sing 8–20 seconds of the tune, or hold the phone to music. It stops by itself after 30 s.'
      : 'Record 8–20 seconds of music playing nearby; it stops by itself after 30 s.';
    $('index-info').textContent = body.items + (body.items === 1 ? ' item' : ' items') + ' · ' +
      state.tasks.map((t) => t.name).join(', ');
  } catch (error) {
    $('index-info').textContent = 'Index unavailable';
    setStatus(error.message, 'error');
  }
}

async function itemInfo(key) {
  if (state.items.has(key)) return state.items.get(key);
  let item = null;
  try {
    const response = await fetch('/api/items/' + encodeURIComponent(key));
    if (response.ok) item = await response.json();
  } catch (_) { /* shown as not playable */ }
  state.items.set(key, item);
  return item;
}

// ---------- querying ----------

function recordedTask() {
  const chosen = $('task-select').value;
  if (chosen !== 'auto' || !state.humming) return chosen;
  const source = document.querySelector('input[name="source"]:checked');
  return source && source.value === 'humming' ? 'humming' : 'auto';
}

async function search(blob, name, task) {
  const params = new URLSearchParams({
    task: task || $('task-select').value,
    top: $('top-select').value,
    by: $('by-select').value,
    path: 'true',
  });
  const form = new FormData();
  form.append('file', blob, name);
  setStatus('Searching for “' + name + '”…', 'busy');
  setBusy(true);
  try {
    const response = await fetch('/api/query?' + params.toString(), { method: 'POST', body: form });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      let message = errorMessage(body, response);
      const retry = response.headers.get('Retry-After');
      if (response.status === 503 && retry) message += ' (retry in ' + retry + ' s)';
      setStatus(message, 'error');
      return;
    }
    const result = body.results[0];
    render(result, name);
    const count = result.ranking.length;
    setStatus(count ? 'Found ' + count + (count === 1 ? ' match' : ' matches') + ' in ' + result.seconds.toFixed(2) + ' s.'
      : 'Nothing in the index matches.', count ? 'done' : '');
  } catch (error) {
    setStatus('The request failed: ' + error.message, 'error');
  } finally {
    setBusy(false);
  }
}

function setBusy(busy) {
  $('record-button').disabled = busy;
  $('file-input').disabled = busy;
  document.body.classList.toggle('searching', busy);
}

function showQueryAudio(blob) {
  if (state.queryURL) URL.revokeObjectURL(state.queryURL);
  state.queryURL = URL.createObjectURL(blob);
  $('query-audio').src = state.queryURL;
  $('query-player').hidden = false;
}

function chooseFile(file) {
  if (!file) return;
  if (/\.(mid|midi|smf|kar)$/i.test(file.name) || /midi/.test(file.type)) {
    $('query-player').hidden = true;
  } else {
    showQueryAudio(file);
  }
  search(file, file.name);
}

// ---------- results ----------

function render(result, name) {
  stopPlaying();
  state.result = result;
  state.selected = 0;
  const list = $('results');
  list.textContent = '';
  $('empty').hidden = result.ranking.length > 0;
  $('results-meta').textContent = (result.task ? result.task + ' · ' : '') + 'by ' + (result.by || 'item') + ' · ' + name;
  result.ranking.forEach((hit, index) => {
    const li = document.createElement('li');
    li.className = 'result';
    li.dataset.key = hit.key;
    li.dataset.rank = String(index + 1);
    li.tabIndex = 0;

    const rank = document.createElement('span');
    rank.className = 'rank';
    rank.textContent = String(index + 1);

    const main = document.createElement('div');
    main.className = 'result-main';
    const title = document.createElement('div');
    title.className = 'result-title';
    title.textContent = hit.title || hit.key;
    const sub = document.createElement('div');
    sub.className = 'result-sub';
    const parts = [];
    if (hit.title) parts.push(hit.key);
    if (hit.work && hit.work !== hit.key) parts.push('work ' + hit.work);
    if (hit.start != null) parts.push(clock(hit.start) + '–' + clock(hit.end));
    sub.textContent = parts.join(' · ');
    main.append(title, sub);

    const side = document.createElement('div');
    side.className = 'result-side';
    const score = document.createElement('span');
    score.className = 'score';
    const strong = document.createElement('strong');
    strong.textContent = hit.score.toFixed(4);
    score.append(strong, document.createTextNode('cost'));
    const play = document.createElement('button');
    play.type = 'button';
    play.className = 'play';
    play.textContent = '▶';
    play.disabled = true;
    play.title = 'Play the matched span';
    play.setAttribute('aria-label', 'Play the matched span of ' + (hit.title || hit.key));
    play.addEventListener('click', (event) => {
      event.stopPropagation();
      togglePlay(hit, play);
    });
    side.append(score, play);

    li.append(rank, main, side);
    li.addEventListener('click', () => select(index));
    li.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); select(index); }
    });
    list.appendChild(li);

    itemInfo(hit.key).then((item) => {
      if (item && item.audio && hit.start != null) {
        play.disabled = false;
      } else {
        play.title = item && item.kind === 'midi' ? 'A score: nothing to play' : 'No recording to play';
      }
    });
  });
  select(0);
}

function select(index) {
  const hits = state.result ? state.result.ranking : [];
  if (!hits.length) { $('alignment').hidden = true; return; }
  state.selected = index;
  document.querySelectorAll('#results .result').forEach((li, i) => li.classList.toggle('selected', i === index));
  drawAlignment();
}

// ---------- playback of the matched span ----------

function stopPlaying() {
  const player = $('player');
  player.pause();
  if (state.playing) state.playing.button.classList.remove('playing');
  if (state.playing) state.playing.button.textContent = '▶';
  state.playing = null;
}

function togglePlay(hit, button) {
  const player = $('player');
  if (state.playing && state.playing.button === button) { stopPlaying(); return; }
  stopPlaying();
  state.playing = { key: hit.key, start: hit.start || 0, end: hit.end, button };
  button.classList.add('playing');
  button.textContent = '■';
  const src = '/api/items/' + encodeURIComponent(hit.key) + '/audio';
  const start = () => {
    player.currentTime = state.playing ? state.playing.start : 0;
    player.play().catch((error) => { setStatus('Cannot play: ' + error.message, 'error'); stopPlaying(); });
  };
  if (player.dataset.key === hit.key && player.readyState >= 1) {
    start();
  } else {
    player.dataset.key = hit.key;
    player.src = src;
    player.preload = 'auto';
    player.addEventListener('loadedmetadata', start, { once: true });
    player.load();
  }
}

function bindPlayer() {
  const player = $('player');
  player.addEventListener('timeupdate', () => {
    if (state.playing && state.playing.end != null && player.currentTime >= state.playing.end) stopPlaying();
  });
  player.addEventListener('ended', stopPlaying);
  player.addEventListener('error', () => {
    if (state.playing) setStatus('The recording could not be played.', 'error');
    stopPlaying();
  });
}

// ---------- alignment ----------

function drawAlignment() {
  const hits = state.result ? state.result.ranking : [];
  const hit = hits[state.selected];
  const box = $('alignment');
  if (!hit || !hit.path || hit.path.length < 2) {
    box.hidden = !hit;
    if (hit) {
      $('alignment-label').textContent = 'no alignment for this hit';
      const canvas = $('alignment-canvas');
      canvas.getContext('2d').clearRect(0, 0, canvas.width, canvas.height);
    }
    return;
  }
  box.hidden = false;
  $('alignment-label').textContent = 'query time against ' + hit.key + ' time, ' + clock(hit.start) + '–' + clock(hit.end);
  const canvas = $('alignment-canvas');
  const ratio = window.devicePixelRatio || 1;
  const cssWidth = canvas.clientWidth || 640;
  const cssHeight = canvas.clientHeight || 320;
  canvas.width = Math.round(cssWidth * ratio);
  canvas.height = Math.round(cssHeight * ratio);
  const g = canvas.getContext('2d');
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, cssWidth, cssHeight);

  const pad = { left: 48, right: 12, top: 10, bottom: 34 };
  const w = cssWidth - pad.left - pad.right;
  const h = cssHeight - pad.top - pad.bottom;
  const qs = hit.path.map((p) => p[0]);
  const is = hit.path.map((p) => p[1]);
  const q0 = 0, q1 = Math.max(...qs) || 1;
  let i0 = Math.min(...is), i1 = Math.max(...is);
  if (i1 - i0 < 1e-6) { i0 -= 1; i1 += 1; }
  const x = (q) => pad.left + (q - q0) / (q1 - q0) * w;
  const y = (t) => pad.top + h - (t - i0) / (i1 - i0) * h;

  // Grid and ticks.
  g.font = '11px system-ui, sans-serif';
  g.fillStyle = '#636a80';
  g.strokeStyle = '#e2e5ee';
  g.lineWidth = 1;
  const ticks = (lo, hi, n) => {
    const step = niceStep((hi - lo) / n);
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(v);
    return out;
  };
  g.textAlign = 'center';
  g.textBaseline = 'top';
  for (const q of ticks(q0, q1, Math.max(2, Math.floor(w / 80)))) {
    g.beginPath(); g.moveTo(x(q), pad.top); g.lineTo(x(q), pad.top + h); g.stroke();
    g.fillText(formatTick(q), x(q), pad.top + h + 4);
  }
  g.textAlign = 'right';
  g.textBaseline = 'middle';
  for (const t of ticks(i0, i1, Math.max(2, Math.floor(h / 50)))) {
    g.beginPath(); g.moveTo(pad.left, y(t)); g.lineTo(pad.left + w, y(t)); g.stroke();
    g.fillText(formatTick(t), pad.left - 6, y(t));
  }
  g.strokeStyle = '#b9bdd0';
  g.strokeRect(pad.left, pad.top, w, h);
  g.textAlign = 'center';
  g.textBaseline = 'bottom';
  g.fillText('query (s)', pad.left + w / 2, cssHeight - 2);
  g.save();
  g.translate(12, pad.top + h / 2);
  g.rotate(-Math.PI / 2);
  g.textBaseline = 'middle';
  g.fillText(hit.key + ' (s)', 0, 0);
  g.restore();

  // The path.
  g.strokeStyle = '#4b45d6';
  g.lineWidth = 2.5;
  g.lineJoin = 'round';
  g.beginPath();
  hit.path.forEach((p, k) => (k ? g.lineTo(x(p[0]), y(p[1])) : g.moveTo(x(p[0]), y(p[1]))));
  g.stroke();
  g.fillStyle = '#4b45d6';
  for (const p of [hit.path[0], hit.path[hit.path.length - 1]]) {
    g.beginPath(); g.arc(x(p[0]), y(p[1]), 3.5, 0, 2 * Math.PI); g.fill();
  }
}

function niceStep(raw) {
  const power = Math.pow(10, Math.floor(Math.log10(raw || 1)));
  const unit = raw / power;
  return (unit < 1.5 ? 1 : unit < 3.5 ? 2 : unit < 7.5 ? 5 : 10) * power;
}

function formatTick(v) {
  return Math.abs(v - Math.round(v)) < 1e-6 ? String(Math.round(v)) : v.toFixed(1);
}

// ---------- recording ----------

async function startRecording() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || typeof MediaRecorder === 'undefined') {
    setStatus('This browser cannot record here (recording needs a secure page: https or localhost).', 'error');
    return;
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
    });
  } catch (error) {
    setStatus('No microphone: ' + error.message, 'error');
    return;
  }
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  analyser.fftSize = 2048;
  context.createMediaStreamSource(stream).connect(analyser);
  const chunks = [];
  const recorder = new MediaRecorder(stream);
  const started = Date.now();
  const samples = new Float32Array(analyser.fftSize);
  const meter = setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const v of samples) sum += v * v;
    const db = 10 * Math.log10(sum / samples.length + 1e-12);
    const level = Math.max(0, Math.min(1, (db + 60) / 60));
    $('meter-fill').style.width = (level * 100).toFixed(0) + '%';
    document.querySelector('.meter').setAttribute('aria-valuenow', (level * 100).toFixed(0));
    const seconds = (Date.now() - started) / 1000;
    $('record-time').textContent = clock(seconds).replace(/\.\d$/, '');
    if (seconds >= MAX_RECORD_SECONDS) stopRecording();
  }, 50);
  const task = recordedTask();
  recorder.addEventListener('dataavailable', (event) => { if (event.data.size) chunks.push(event.data); });
  recorder.addEventListener('stop', async () => {
    clearInterval(meter);
    stream.getTracks().forEach((track) => track.stop());
    $('meter-fill').style.width = '0';
    setRecordingUI(false);
    const seconds = (Date.now() - started) / 1000;
    if (seconds < 1) { context.close(); setStatus('The recording is too short.', 'error'); return; }
    setStatus('Preparing the recording…', 'busy');
    try {
      const recorded = new Blob(chunks, { type: recorder.mimeType || 'audio/webm' });
      const wav = await toWav(recorded, context);
      context.close();
      showQueryAudio(wav);
      await search(wav, 'recording.wav', task);
    } catch (error) {
      context.close();
      setStatus('The recording could not be decoded: ' + error.message, 'error');
    }
  });
  state.recorder = recorder;
  recorder.start(250);
  setRecordingUI(true);
  setStatus('Recording… press Stop when done.', '');
}

function stopRecording() {
  if (state.recorder && state.recorder.state !== 'inactive') state.recorder.stop();
  state.recorder = null;
}

function setRecordingUI(on) {
  $('record-button').hidden = on;
  $('stop-button').hidden = !on;
  $('record-button').classList.toggle('recording', on);
  $('file-input').disabled = on;
  if (on) $('stop-button').focus();
}

// MediaRecorder's WebM/Opus -> mono 16-bit PCM WAV at 22050 Hz.
async function toWav(blob, context) {
  const decoded = await context.decodeAudioData(await blob.arrayBuffer());
  const frames = Math.max(1, Math.ceil(decoded.duration * WAV_RATE));
  const offline = new OfflineAudioContext(1, frames, WAV_RATE);
  const source = offline.createBufferSource();
  source.buffer = decoded;
  source.connect(offline.destination);
  source.start();
  const rendered = await offline.startRendering();
  return encodeWav(rendered.getChannelData(0), WAV_RATE);
}

function encodeWav(samples, rate) {
  const buffer = new ArrayBuffer(44 + samples.length * 2);
  const view = new DataView(buffer);
  const text = (offset, s) => { for (let i = 0; i < s.length; i++) view.setUint8(offset + i, s.charCodeAt(i)); };
  text(0, 'RIFF');
  view.setUint32(4, 36 + samples.length * 2, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);          // PCM
  view.setUint16(22, 1, true);          // mono
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * 2, true);   // bytes per second
  view.setUint16(32, 2, true);          // block align
  view.setUint16(34, 16, true);         // bits per sample
  text(36, 'data');
  view.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.max(-1, Math.min(1, samples[i]));
    view.setInt16(44 + i * 2, v < 0 ? v * 0x8000 : v * 0x7fff, true);
  }
  return new Blob([buffer], { type: 'audio/wav' });
}

// ---------- wiring ----------

function bindDrop() {
  const zone = $('drop-zone');
  $('file-input').addEventListener('change', (event) => {
    chooseFile(event.target.files[0]);
    event.target.value = '';
  });
  ['dragenter', 'dragover'].forEach((type) => zone.addEventListener(type, (event) => {
    event.preventDefault();
    zone.classList.add('over');
  }));
  ['dragleave', 'drop'].forEach((type) => zone.addEventListener(type, () => zone.classList.remove('over')));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    const file = event.dataTransfer && event.dataTransfer.files[0];
    if (file) chooseFile(file);
  });
  // A file dropped outside the zone would otherwise replace the page.
  window.addEventListener('dragover', (event) => event.preventDefault());
  window.addEventListener('drop', (event) => event.preventDefault());
}

function bindRecorder() {
  $('record-button').addEventListener('click', startRecording);
  $('stop-button').addEventListener('click', stopRecording);
}

let resizeTimer = null;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(drawAlignment, 100);
});

document.addEventListener('DOMContentLoaded', () => {
  bindDrop();
  bindRecorder();
  bindPlayer();
  loadHealth();
});
