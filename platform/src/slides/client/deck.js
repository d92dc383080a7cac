// The deck's behaviour in the browser: keys, URL hash, overview, speaker view, notes, live reload.
//
// Hand-written on purpose, not reveal.js or similar: those bring their own markdown pipeline, themes and plugin
// system (hundreds of KB) while this deck renders markdown on the server with markdown-it and needs only the few
// behaviours below. It is plain ES2020 in one IIFE so it runs inline, from file://, without a bundler or network.
(() => {
  'use strict';
  const W = 1280;
  const H = 720;
  const data = JSON.parse(document.getElementById('deck-data').textContent);
  const stage = document.querySelector('.deck-stage');
  const slides = Array.from(stage.querySelectorAll(':scope > .slide'));
  const params = new URLSearchParams(location.search);
  const speakerMode = params.get('view') === 'speaker';
  const storageKey = `tall-slides:${location.pathname}`;
  let current = -1;
  /** how many of the current slide's steps are shown (a `steps` slide: one list item or table row per → ) */
  let step = 0;
  let speakerWindow = null;
  let typed = '';

  const $ = (sel) => document.querySelector(sel);
  const status = $('.deck-status');
  const progress = $('.deck-progress');
  const notesPanel = $('.notes-panel');

  // ---- where we are -------------------------------------------------------------------------------------------
  function indexFromHash(hash) {
    const h = decodeURIComponent((hash || '').replace(/^#/, ''));
    if (!h) return -1;
    const byId = slides.findIndex((s) => s.dataset.id === h);
    if (byId >= 0) return byId;
    if (/^\d+$/.test(h)) {
      const n = Number(h);
      if (n >= 1 && n <= slides.length) return n - 1;
    }
    return -1;
  }

  // ---- steps: on a slide with the class `steps`, each list item and table row appears on its own → -----------------
  const stepsOf = (slide) => (slide.classList.contains('steps') ? Array.from(slide.querySelectorAll('.slide-body li:not(li li), .slide-body tbody > tr')) : []);
  function markSteps(slide, shown) {
    stepsOf(slide).forEach((el, k) => el.classList.toggle('step-pending', k >= shown));
  }
  function setStep(n, opts = {}) {
    step = n;
    markSteps(slides[current], step);
    if (speakerMode) renderSpeaker();
    if (opts.broadcast !== false) broadcast();
  }

  function show(i, opts = {}) {
    if (!slides.length) return;
    i = Math.max(0, Math.min(slides.length - 1, i));
    if (i === current && !opts.force) {
      if (opts.step !== undefined && opts.step !== step) setStep(opts.step, opts);
      return;
    }
    if (current >= 0) {
      slides[current].classList.remove('current');
      slides[current].setAttribute('aria-hidden', 'true');
    }
    current = i;
    const slide = slides[i];
    // Coming back to a slide shows it whole; arriving forward, its steps one by one.
    step = opts.step ?? (opts.back ? stepsOf(slide).length : 0);
    markSteps(slide, step);
    slide.classList.add('current');
    slide.removeAttribute('aria-hidden');
    const id = slide.dataset.id;
    if (decodeURIComponent(location.hash.slice(1)) !== id) history.replaceState(null, '', `#${encodeURIComponent(id)}`);
    try { sessionStorage.setItem(storageKey, String(i)); } catch { /* storage may be off for file:// */ }
    document.title = `${slide.dataset.title || data.title} (${i + 1}/${slides.length})`;
    if (status) status.textContent = `${i + 1} / ${slides.length}`;
    if (progress) progress.style.width = `${slides.length > 1 ? (i / (slides.length - 1)) * 100 : 100}%`;
    if (notesPanel) notesPanel.innerHTML = notesOf(slide);
    if (speakerMode) renderSpeaker();
    if (opts.broadcast !== false) broadcast();
  }

  function next() {
    if (step < stepsOf(slides[current]).length) setStep(step + 1);
    else show(current + 1);
  }
  function prev() {
    if (step > 0) setStep(step - 1);
    else show(current - 1, { back: true });
  }

  function notesOf(slide) {
    const notes = slide.querySelector(':scope > .notes');
    return notes ? notes.innerHTML : '';
  }

  // ---- fit the 1280x720 canvas into the window ----------------------------------------------------------------
  function fit() {
    stage.style.setProperty('--scale', String(Math.min(innerWidth / W, innerHeight / H)));
    if (speakerMode) renderSpeaker();
    if (document.body.classList.contains('show-overview')) sizeThumbs();
  }

  // ---- keeping the presenter's windows together ---------------------------------------------------------------
  // postMessage between opener and speaker window works everywhere (also file://); BroadcastChannel also reaches a
  // speaker window that was reloaded or opened by hand. Receiving never re-sends, so the two cannot ping-pong.
  let channel = null;
  try { channel = new BroadcastChannel(storageKey); } catch { channel = null; }
  function broadcast() {
    const message = { tallSlides: true, index: current, step };
    if (channel) channel.postMessage(message);
    try { if (speakerWindow && !speakerWindow.closed) speakerWindow.postMessage(message, '*'); } catch { /* closed */ }
    try { if (window.opener && !window.opener.closed) window.opener.postMessage(message, '*'); } catch { /* closed */ }
  }
  function receive(message) {
    if (message && message.tallSlides === true && typeof message.index === 'number' && (message.index !== current || message.step !== step)) {
      show(message.index, { broadcast: false, step: typeof message.step === 'number' ? message.step : 0 });
    }
  }
  if (channel) channel.onmessage = (e) => receive(e.data);
  window.addEventListener('message', (e) => receive(e.data));

  function openSpeaker() {
    const url = `${location.pathname}?view=speaker${location.hash}`;
    speakerWindow = window.open(url, 'tall-speaker', 'popup,width=1200,height=760');
  }

  // ---- speaker view ---------------------------------------------------------------------------------------------
  let timerStart = Date.now();
  let timerPausedAt = null;
  const elapsedSeconds = () => Math.max(0, Math.floor(((timerPausedAt ?? Date.now()) - timerStart) / 1000));
  function buildSpeaker() {
    document.body.classList.add('speaker-view');
    const timer = $('.speaker-timer');
    $('.speaker-pause').addEventListener('click', togglePause);
    $('.speaker-reset').addEventListener('click', resetTimer);
    const tick = () => {
      const s = elapsedSeconds();
      const hh = Math.floor(s / 3600);
      const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
      const ss = String(s % 60).padStart(2, '0');
      timer.textContent = hh ? `${hh}:${mm}:${ss}` : `${mm}:${ss}`;
      timer.classList.toggle('paused', timerPausedAt !== null);
      $('.speaker-clock').textContent = new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
      renderPace(s);
    };
    tick();
    setInterval(tick, 500);
  }
  // ---- pacing: a track's parts have target minutes (slides/tracks/*.yaml); reveal.js's data-timing, per part ----------
  const timedParts = data.track && data.track.parts.every((p) => typeof p.minutes === 'number') ? data.track.parts : null;
  const mmss = (seconds) => {
    const s = Math.round(Math.abs(seconds));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  };
  /** Seconds into the session the plan says this slide starts: earlier parts in full, this one pro rata by slide. */
  function plannedAt(i) {
    let seconds = 0;
    for (const part of timedParts) {
      if (i < part.first + part.count) return seconds + (part.minutes * 60 * (i - part.first)) / part.count;
      seconds += part.minutes * 60;
    }
    return seconds;
  }
  function renderPace(elapsed) {
    const pace = $('.speaker-pace');
    if (!timedParts || current < 0) return;
    const p = Number(slides[current].dataset.part);
    const part = timedParts[p];
    if (!part) return;
    const delta = plannedAt(current) - elapsed;
    const state = Math.abs(delta) < 30 ? 'on-time' : delta > 0 ? 'ahead' : 'behind';
    const words = { 'on-time': 'on time', ahead: `${mmss(delta)} ahead`, behind: `${mmss(delta)} behind` };
    pace.hidden = false;
    pace.dataset.state = state;
    pace.textContent = `Part ${p + 1}/${timedParts.length} · ${part.title} · ${part.minutes} min · plan ${mmss(plannedAt(current))} · ${words[state]}`;
  }

  function togglePause() {
    if (timerPausedAt === null) timerPausedAt = Date.now();
    else { timerStart += Date.now() - timerPausedAt; timerPausedAt = null; }
  }
  function resetTimer() {
    timerStart = Date.now();
    if (timerPausedAt !== null) timerPausedAt = timerStart;
  }
  function placeClone(frame, slide) {
    frame.textContent = '';
    if (!slide) {
      const end = document.createElement('div');
      end.className = 'end';
      end.textContent = 'End of the deck.';
      frame.append(end);
      return;
    }
    const clone = slide.cloneNode(true);
    clone.classList.add('current');
    clone.removeAttribute('aria-hidden');
    const scale = Math.min(frame.clientWidth / W, frame.clientHeight / H) || 0.3;
    clone.style.transform = `scale(${scale})`;
    frame.append(clone);
  }
  function renderSpeaker() {
    if (current < 0) return;
    const slide = slides[current];
    placeClone($('.speaker-current .speaker-frame'), slide);
    placeClone($('.speaker-next .speaker-frame'), slides[current + 1]);
    $('.speaker-notes .notes-body').innerHTML = notesOf(slide);
    $('.speaker-position').textContent = `${current + 1} / ${slides.length}`;
    $('.speaker-source').textContent = slide.dataset.source || '';
    renderPace(elapsedSeconds());
  }

  // ---- overview -------------------------------------------------------------------------------------------------
  const overview = $('.overview');
  let selected = 0;
  function buildOverview() {
    if (overview.childElementCount) return;
    slides.forEach((slide, i) => {
      const item = document.createElement('button');
      item.type = 'button';
      item.className = 'overview-item';
      item.dataset.index = String(i);
      const thumb = document.createElement('span');
      thumb.className = 'thumb';
      const clone = slide.cloneNode(true);
      clone.classList.add('current');
      clone.removeAttribute('aria-hidden');
      clone.querySelectorAll('.notes').forEach((n) => n.remove());
      clone.querySelectorAll('.step-pending').forEach((n) => n.classList.remove('step-pending'));
      thumb.append(clone);
      const caption = document.createElement('span');
      caption.className = 'caption';
      caption.textContent = `${i + 1}. ${slide.dataset.title || ''}`;
      item.append(thumb, caption);
      item.addEventListener('click', () => { closeOverview(); show(i); });
      overview.append(item);
    });
  }
  function sizeThumbs() {
    const first = overview.querySelector('.thumb');
    if (first) overview.style.setProperty('--thumb-scale', String(first.clientWidth / W));
  }
  function openOverview() {
    buildOverview();
    document.body.classList.add('show-overview');
    sizeThumbs();
    overview.querySelectorAll('.overview-item').forEach((el, i) => el.classList.toggle('current', i === current));
    select(current);
  }
  function closeOverview() {
    document.body.classList.remove('show-overview');
  }
  function select(i) {
    const items = overview.querySelectorAll('.overview-item');
    if (!items.length) return;
    selected = Math.max(0, Math.min(items.length - 1, i));
    items.forEach((el, j) => el.classList.toggle('selected', j === selected));
    items[selected].focus({ preventScroll: true });
    items[selected].scrollIntoView({ block: 'nearest' });
  }
  function overviewColumns() {
    const items = overview.querySelectorAll('.overview-item');
    if (items.length < 2) return 1;
    const top = items[0].offsetTop;
    let n = 0;
    while (n < items.length && items[n].offsetTop === top) n++;
    return Math.max(1, n);
  }

  // ---- keys -----------------------------------------------------------------------------------------------------
  function onKey(e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const t = e.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    const body = document.body;
    if (body.classList.contains('show-help')) {
      body.classList.remove('show-help');
      e.preventDefault();
      return;
    }
    if (body.classList.contains('show-overview')) {
      const cols = overviewColumns();
      const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: cols, ArrowUp: -cols, Home: -Infinity, End: Infinity };
      if (e.key in moves) {
        const d = moves[e.key];
        select(d === -Infinity ? 0 : d === Infinity ? slides.length - 1 : selected + d);
      } else if (e.key === 'Enter' || e.key === ' ') {
        closeOverview();
        show(selected);
      } else if (e.key === 'Escape' || e.key === 'o' || e.key === 'O') {
        closeOverview();
      } else {
        return;
      }
      e.preventDefault();
      return;
    }
    if (/^[0-9]$/.test(e.key)) { typed += e.key; e.preventDefault(); return; }
    if (e.key === 'Enter' && typed) { show(Number(typed) - 1); typed = ''; e.preventDefault(); return; }
    typed = '';
    switch (e.key) {
      case 'ArrowRight': case 'ArrowDown': case 'PageDown': case 'l': case 'j':
        next(); break;
      case ' ':
        if (e.shiftKey) prev(); else next();
        break;
      case 'ArrowLeft': case 'ArrowUp': case 'PageUp': case 'h': case 'k': case 'Backspace':
        prev(); break;
      case 'Home': show(0); break;
      case 'End': show(slides.length - 1); break;
      case 'o': case 'O': case 'Escape':
        if (!speakerMode) openOverview();
        break;
      case 's': case 'S':
        if (!speakerMode) openSpeaker();
        break;
      case 'n': case 'N':
        body.classList.toggle('show-notes'); break;
      case 'f': case 'F':
        if (document.fullscreenElement) document.exitFullscreen(); else document.documentElement.requestFullscreen().catch(() => {});
        break;
      case 'p': case 'P':
        if (speakerMode) togglePause();
        break;
      case 'r': case 'R':
        if (speakerMode) resetTimer();
        break;
      case '?':
        body.classList.add('show-help'); break;
      default:
        return;
    }
    e.preventDefault();
  }

  // ---- start ----------------------------------------------------------------------------------------------------
  document.addEventListener('keydown', onKey);
  // Swipe left/right on a touch screen (a learner reading on a tablet).
  let touchX = null;
  document.addEventListener('touchstart', (e) => { touchX = e.touches.length === 1 ? e.touches[0].clientX : null; }, { passive: true });
  document.addEventListener('touchend', (e) => {
    if (touchX === null || document.body.classList.contains('show-overview')) return;
    const dx = e.changedTouches[0].clientX - touchX;
    touchX = null;
    if (Math.abs(dx) > 50) { if (dx < 0) next(); else prev(); }
  }, { passive: true });
  let pointerTimer = null;
  document.addEventListener('mousemove', () => {
    document.body.classList.add('pointer-active');
    clearTimeout(pointerTimer);
    pointerTimer = setTimeout(() => document.body.classList.remove('pointer-active'), 2000);
  });
  window.addEventListener('resize', fit);
  window.addEventListener('hashchange', () => {
    const i = indexFromHash(location.hash);
    if (i >= 0) show(i);
  });
  document.querySelectorAll('[data-action]').forEach((button) => {
    button.addEventListener('click', () => {
      const action = button.getAttribute('data-action');
      if (action === 'prev') prev();
      else if (action === 'next') next();
      else if (action === 'overview') openOverview();
      else if (action === 'speaker') openSpeaker();
      else if (action === 'notes') document.body.classList.toggle('show-notes');
      else if (action === 'help') document.body.classList.add('show-help');
      button.blur();
    });
  });
  $('.deck-help').addEventListener('click', () => document.body.classList.remove('show-help'));
  slides.forEach((s) => s.setAttribute('aria-hidden', 'true'));

  if (speakerMode) buildSpeaker();
  let start = indexFromHash(location.hash);
  if (start < 0) {
    // After a live reload that renamed the current slide, stay at the same position.
    try { start = Number(sessionStorage.getItem(storageKey) || '0'); } catch { start = 0; }
  }
  fit();
  show(start, { broadcast: false, force: true });
  document.body.classList.add('ready');

  if (data.live && typeof EventSource === 'function') {
    const events = new EventSource(data.live);
    events.addEventListener('reload', () => location.reload());
  }
})();
