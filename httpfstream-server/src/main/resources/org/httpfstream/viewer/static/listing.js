// Folder mode of the viewer (/<folder>/?view): the streams and folders the caller may read, from
// ?list, newest first, each linked to its own viewer with the page's query (a signed link) kept.
// Thread safety: none needed (browser main thread only).

function size(b) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = b;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return i === 0 ? `${b} B` : `${v.toFixed(1)} ${units[i]}`;
}

function cell(tr, text, cls) {
  const td = tr.appendChild(document.createElement('td'));
  if (cls) td.className = cls;
  if (text !== null) td.textContent = text;
  return td;
}

/** Fills table body el from ?list of folder path, through api (see makeApi). */
export async function showListing(el, api, path) {
  const res = await fetch(api.url('list'), { cache: 'no-store' });
  if (!res.ok) throw new Error(`${res.status} ${(await res.text()).slice(0, 200)}`);
  const body = await res.json();
  const entries = [...body.entries].sort((a, b) => (b.modified || 0) - (a.modified || 0));
  for (const e of entries) {
    const tr = el.appendChild(document.createElement('tr'));
    const a = cell(tr, null, 'name').appendChild(document.createElement('a'));
    const target = path + encodeURIComponent(e.name) + (e.kind === 'folder' ? '/' : '');
    a.href = api.url('view', target);
    a.textContent = e.kind === 'folder' ? `${e.name}/` : e.name;
    cell(tr, e.kind === 'folder' ? '' : size(e.size || 0), 'size');
    cell(tr, e.modified ? new Date(e.modified).toISOString().replace('T', ' ').slice(0, 19) : '', 'modified');
    const w = cell(tr, null, 'writer').appendChild(document.createElement('span'));
    if (e.kind !== 'folder') { w.className = `badge ${e.writer}`; w.textContent = e.writer; }
  }
  if (entries.length === 0) cell(el.appendChild(document.createElement('tr')), 'empty folder', 'empty');
}
