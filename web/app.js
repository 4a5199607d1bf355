// The demo page: one WebModel (zoo-web) at a time, fed files, samples or the drawing canvas.
import init, { WebModel } from './pkg/zoo_web.js';

const $ = (id) => document.getElementById(id);
const TOP_K = 5;
const MAX_MAPS = 64;
const state = { manifest: null, model: null, seq: 0 };

async function main() {
  const started = performance.now();
  await init();
  state.manifest = await (await fetch('manifest.json')).json();
  state.manifest.models.forEach((m, i) => $('model').add(new Option(m.title, i)));
  $('model').onchange = () => select(Number($('model').value)).catch(fail);
  $('stage').onchange = drawMaps;
  $('file').onchange = (e) => e.target.files[0] && classifyBlob(e.target.files[0].name, e.target.files[0]);
  setUpDrop();
  setUpDrawing();
  await select(0);
  // Read by web/test.mjs: module + model load time, from the script's start.
  document.body.dataset.loadMs = (performance.now() - started).toFixed(1);
  document.body.dataset.ready = 'true';
}

async function select(index) {
  const entry = state.manifest.models[index];
  const started = performance.now();
  if (state.model) state.model.free();
  state.model = null;
  if (entry.weights) {
    const response = await fetch(entry.weights);
    if (!response.ok) throw new Error(`${entry.weights}: HTTP ${response.status}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    state.model = WebModel.fromBurnpack(entry.name, entry.weights.split('/').pop(), bytes);
  } else {
    state.model = WebModel.embedded(entry.name);
  }
  const info = JSON.parse(state.model.info());
  $('model-info').textContent = `${info.model}: ${info.parameters.toLocaleString('en')} parameters, ` +
    `input ${info.input.join('×')}, ${info.preprocess}; loaded in ${(performance.now() - started).toFixed(0)} ms`;
  $('stage').replaceChildren(...info.stages.map((s, i) => new Option(s, i)));
  $('samples').replaceChildren(...entry.samples.map((url) => {
    const img = new Image();
    img.src = url;
    img.title = url.split('/').pop();
    img.onclick = async () => classifyBlob(img.title, await (await fetch(url)).blob());
    return img;
  }));
  $('results').replaceChildren();
  $('maps').replaceChildren();
  $('timing').textContent = '';
  drawFilters();
  document.body.dataset.model = entry.name;
}

async function classifyBlob(name, blob) {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  showSeen(name, blob);
  classify(() => state.model.classifyFile(name, bytes, TOP_K));
}

function classify(call) {
  try {
    const started = performance.now();
    const ranked = JSON.parse(call());
    const ms = performance.now() - started;
    $('error').hidden = true;
    showResults(ranked);
    $('timing').textContent = `inference: ${ms.toFixed(1)} ms`;
    $('timing').dataset.ms = ms.toFixed(2);
    $('results').dataset.state = 'done';
    $('results').dataset.json = JSON.stringify(ranked);
    drawMaps();
  } catch (e) {
    fail(e);
  }
  $('results').dataset.seq = String(++state.seq);
}

function fail(e) {
  $('error').textContent = String(e?.message ?? e);
  $('error').hidden = false;
  $('results').replaceChildren();
  $('results').dataset.state = 'error';
  $('results').dataset.json = '';
}

function showResults(ranked) {
  $('results').replaceChildren(...ranked.map((p) => {
    const li = document.createElement('li');
    const label = document.createElement('span');
    label.textContent = p.label;
    const bar = document.createElement('span');
    bar.className = 'bar';
    bar.style.width = `${(100 * p.probability).toFixed(1)}%`;
    const prob = document.createElement('span');
    prob.className = 'p';
    prob.textContent = `${(100 * p.probability).toFixed(1)}%`;
    li.append(label, bar, prob);
    return li;
  }));
}

async function showSeen(name, source) {
  $('seen-name').textContent = name;
  const ctx = $('seen').getContext('2d');
  ctx.clearRect(0, 0, 112, 112);
  try {
    const bitmap = await createImageBitmap(source);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(bitmap, 0, 0, 112, 112);
  } catch {
    // The model's own decoder reports why; the preview stays empty.
  }
}

// Maps `[n, c, h, w]` values to small canvases, each normalised to its own range.
function tiles(values, [n, c, h, w], colour) {
  const out = [];
  const per = colour ? 3 * h * w : h * w;
  const count = Math.min(colour ? n : n * c, MAX_MAPS);
  for (let t = 0; t < count; t++) {
    const slice = values.subarray(t * per, (t + 1) * per);
    let lo = Infinity, hi = -Infinity;
    for (const v of slice) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    const scale = hi > lo ? 255 / (hi - lo) : 0;
    const canvas = document.createElement('canvas');
    canvas.width = w; canvas.height = h;
    const ctx = canvas.getContext('2d');
    const image = ctx.createImageData(w, h);
    for (let p = 0; p < h * w; p++) {
      for (let k = 0; k < 3; k++) {
        const v = colour ? slice[k * h * w + p] : slice[p];
        image.data[4 * p + k] = (v - lo) * scale;
      }
      image.data[4 * p + 3] = 255;
    }
    ctx.putImageData(image, 0, 0);
    out.push(canvas);
  }
  return out;
}

function drawMaps() {
  if (!state.model || $('results').dataset.state !== 'done') return;
  try {
    const maps = state.model.activations(Number($('stage').value));
    $('maps').replaceChildren(...tiles(maps.data, maps.dims, false));
    maps.free();
  } catch (e) {
    fail(e);
  }
}

function drawFilters() {
  const filters = state.model.filters();
  if (!filters) return $('filters').replaceChildren();
  const dims = filters.dims;
  // RGB filters are drawn in colour; others one tile per input channel.
  $('filters').replaceChildren(...tiles(filters.data, dims, dims[1] === 3));
  filters.free();
}

function setUpDrop() {
  const drop = $('drop');
  drop.ondragover = (e) => { e.preventDefault(); drop.classList.add('over'); };
  drop.ondragleave = () => drop.classList.remove('over');
  drop.ondrop = (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const file = e.dataTransfer.files[0];
    if (file) classifyBlob(file.name, file);
  };
}

function setUpDrawing() {
  const canvas = $('draw');
  const ctx = canvas.getContext('2d');
  const clear = () => { ctx.fillStyle = '#000'; ctx.fillRect(0, 0, canvas.width, canvas.height); };
  clear();
  ctx.strokeStyle = '#fff'; ctx.lineWidth = 22; ctx.lineCap = 'round'; ctx.lineJoin = 'round';
  let drawing = false;
  const at = (e) => { const r = canvas.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
  canvas.onpointerdown = (e) => { drawing = true; ctx.beginPath(); ctx.moveTo(...at(e)); };
  canvas.onpointermove = (e) => { if (drawing) { ctx.lineTo(...at(e)); ctx.stroke(); } };
  canvas.onpointerup = canvas.onpointerleave = () => { drawing = false; };
  $('clear').onclick = clear;
  $('classify-drawing').onclick = () => {
    const { width, height } = canvas;
    const pixels = ctx.getImageData(0, 0, width, height).data;
    showSeen('drawing', canvas);
    classify(() => state.model.classifyRgba(width, height, new Uint8Array(pixels.buffer), TOP_K));
  };
}

main().catch(fail);
