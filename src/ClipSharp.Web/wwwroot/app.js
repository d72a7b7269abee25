// The ClipSharp search page: text queries, image uploads (drop or file picker) and "more like this".
'use strict';
const $ = id => document.getElementById(id);
const grid = $('grid'), status = $('status'), K = 48;

function say(text, isError) {
  status.textContent = text;
  status.classList.toggle('error', !!isError);
}

function show(hits, what) {
  grid.replaceChildren(...hits.map(h => {
    const div = document.createElement('div');
    div.className = 'hit';
    div.title = 'find images like ' + h.path;
    const img = document.createElement('img');
    img.loading = 'lazy';
    img.alt = h.path;
    img.src = h.thumb;
    const score = document.createElement('div');
    score.className = 'score';
    score.textContent = h.score.toFixed(3);
    const path = document.createElement('div');
    path.className = 'path';
    path.textContent = h.path;
    div.append(img, score, path);
    div.onclick = () => similar(h.id, h.path);
    return div;
  }));
  say(hits.length + ' results for ' + what);
}

async function run(request, what) {
  say('searching for ' + what + '…');
  try {
    const r = await request;
    const body = await r.json();
    if (!r.ok) return say(body.error || r.statusText, true);
    show(body, what);
  } catch (e) {
    say('request failed: ' + e.message, true);
  }
}

function similar(id, path) {
  window.scrollTo(0, 0);
  return run(fetch('/api/similar/' + id + '?k=' + K), 'images like ' + path);
}

function searchImage(file) {
  if (!file) return;
  return run(fetch('/api/search/image?k=' + K, { method: 'POST', body: file }), file.name);
}

$('search').onsubmit = e => {
  e.preventDefault();
  const q = $('q').value.trim();
  if (q) run(fetch('/api/search?k=' + K + '&q=' + encodeURIComponent(q)), '"' + q + '"');
};
$('file').onchange = e => searchImage(e.target.files[0]);

// Dropping an image anywhere on the page searches by it (instead of the browser opening the file).
const drop = $('drop');
document.ondragover = e => { e.preventDefault(); drop.classList.add('over'); };
document.ondragleave = e => { if (!e.relatedTarget) drop.classList.remove('over'); };
document.ondrop = e => {
  e.preventDefault();
  drop.classList.remove('over');
  searchImage(e.dataTransfer.files[0]);
};

fetch('/api/info').then(r => r.json()).then(i => {
  $('info').textContent = i.images + ' images · ' + i.model + ' (' + i.dimension + '-d)';
}).catch(() => {});
