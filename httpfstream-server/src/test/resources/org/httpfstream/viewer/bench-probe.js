// ViewerBench's probe, run before the page's own scripts (CDP Page.addScriptToEvaluateOnNewDocument):
// it only watches. window.__benchTail (set just before this) is the line whose row ends the "tail shown"
// clock; times are performance.now(), i.e. milliseconds since the navigation started.
(() => {
  const b = {
    tail: window.__benchTail === undefined ? null : window.__benchTail,
    tailAt: -1, tailText: '', live: false, samples: [], longTasks: [], maxGap: 0, lastFrame: 0, frames: 0,
    heapUsedMax: 0, heapTotalMax: 0, // performance.memory at every frame (ViewerBench's PhaseMemory resets them)
  };
  window.__bench = b;
  const check = () => {
    if (b.tail !== null && b.tailAt < 0) {
      const r = document.querySelector(`.row[data-n="${b.tail}"]:not(.pending)`);
      if (r) { b.tailAt = performance.now(); b.tailText = r.textContent; }
    }
    if (b.live) {
      const rows = document.querySelector('#log .rows');
      const last = rows && rows.lastElementChild;
      if (last && !last.classList.contains('pending')) {
        const n = Number(last.dataset.n);
        // a row whose line is still partial (cut by a network read) does not count as shown yet
        const whole = last.textContent.endsWith(`#${n}`);
        b.samples.push([performance.timeOrigin + performance.now(), whole ? n : n - 1]);
      }
    }
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['class'] });
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) b.longTasks.push([e.startTime, e.duration]);
    }).observe({ type: 'longtask', buffered: true });
  } catch (e) {
    b.longTasks = null; // not supported: the frame gaps still say it
  }
  const frame = (t) => {
    if (b.lastFrame) b.maxGap = Math.max(b.maxGap, t - b.lastFrame);
    b.lastFrame = t;
    b.frames++;
    const m = performance.memory;
    if (m) {
      b.heapUsedMax = Math.max(b.heapUsedMax, m.usedJSHeapSize);
      b.heapTotalMax = Math.max(b.heapTotalMax, m.totalJSHeapSize);
    }
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
})();
