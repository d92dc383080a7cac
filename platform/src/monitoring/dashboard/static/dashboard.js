// The dashboard's client: one EventSource on /dashboard/stream keeps the page live. "view" replaces what the tables
// show, "history" and "sample" feed the charts (uPlot). Everything is written with textContent: event messages and
// data-service fields come from services and must never become markup.
'use strict';
(() => {
  const KEEP = 300;
  const COLORS = ['#2b6cb0', '#c05621', '#2f855a', '#b83280', '#6b46c1', '#c53030', '#00838f', '#975a16'];
  const SERIES = {
    rate: { field: 'rate', digits: 1, unit: ' req/s' },
    errors: { field: 'errorPct', digits: 1, unit: ' %' },
    p95: { field: 'p95Ms', digits: 0, unit: ' ms' },
  };
  let view = null;
  let points = [];
  let routes = [];
  const charts = {};

  const $ = (selector) => document.querySelector(selector);
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes ?? {})) {
      if (value === undefined || value === null) continue;
      if (name === 'class') node.className = value;
      else if (name.startsWith('data-')) node.setAttribute(name, String(value));
      else node[name] = value;
    }
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(child ?? ''));
    return node;
  }
  const badge = (text, tone) => el('span', { class: `badge ${tone ?? ''}` }, text);
  const clock = (iso) => new Date(iso).toLocaleTimeString([], { hour12: false });
  const fixed = (value, digits) => (value === null || value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits));

  function duration(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 90) return `${s} s`;
    if (s < 5400) return `${Math.round(s / 60)} min`;
    return `${(s / 3600).toFixed(1)} h`;
  }

  // ---- charts ----

  function chartData(kind) {
    const field = SERIES[kind].field;
    return [points.map((point) => point.t / 1000), ...routes.map((route) => points.map((point) => point.routes[route]?.[field] ?? null))];
  }

  function buildCharts() {
    for (const figure of document.querySelectorAll('figure.chart')) {
      const kind = figure.dataset.chart;
      charts[kind]?.destroy();
      const plot = figure.querySelector('.plot');
      plot.textContent = '';
      charts[kind] = new uPlot({
        width: Math.max(plot.clientWidth, 200),
        height: 170,
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true }, y: { range: (_u, min, max) => [0, Math.max(kind === 'errors' ? 5 : 1, max * 1.1)] } },
        series: [{}, ...routes.map((route, i) => ({ label: route, stroke: COLORS[i % COLORS.length], width: 2, points: { show: false }, spanGaps: kind === 'p95', value: (_u, v) => fixed(v, SERIES[kind].digits) }))],
        axes: [{}, { size: 50 }],
      }, chartData(kind), plot);
    }
  }

  function updateCharts() {
    for (const figure of document.querySelectorAll('figure.chart')) {
      const kind = figure.dataset.chart;
      charts[kind]?.setData(chartData(kind));
      const last = points.at(-1);
      figure.dataset.points = String(points.length);
      figure.dataset.last = JSON.stringify(Object.fromEntries(routes.map((route) => [route, last?.routes[route]?.[SERIES[kind].field] ?? null])));
    }
    renderServices();
  }

  window.addEventListener('resize', () => {
    for (const figure of document.querySelectorAll('figure.chart')) {
      const plot = figure.querySelector('.plot');
      charts[figure.dataset.chart]?.setSize({ width: Math.max(plot.clientWidth, 200), height: 170 });
    }
  });

  // ---- tables ----

  function renderHeader() {
    const where = $('#where');
    where.textContent = '';
    where.append(`environment "${view.env}" · ${view.runtime} runtime · ${view.phase} · router `);
    if (view.routerUrl) where.append(el('a', { href: view.routerUrl }, view.routerUrl));
    if (view.metricsUrl) where.append(' · ', el('a', { href: view.metricsUrl }, 'metrics'));
  }

  function renderServices() {
    if (!view) return;
    const last = points.at(-1);
    $('#services tbody').replaceChildren(...view.services.flatMap((service) => {
      const figures = service.route ? last?.routes[service.route] : undefined;
      const complete = service.ready >= service.desired;
      // An autoscaled service gets a second line: its metric against the target, and why it last changed.
      const autoscale = service.autoscale
        ? [el('tr', { class: 'autoscale', 'data-autoscale': service.name },
          el('td', { class: 'dim', colSpan: 7 }, `↳ autoscale: ${service.autoscale.summary}${service.autoscale.lastChange ? ` · last: ${service.autoscale.lastChange}` : ''}`))]
        : [];
      return [el('tr', { 'data-service': service.name },
        el('td', {}, service.name),
        el('td', { class: 'dim' }, service.route ? `/${service.route}/` : 'not routed'),
        el('td', {}, badge(`${service.ready}/${service.desired}`, complete ? 'good' : service.ready > 0 ? 'meh' : 'bad')),
        el('td', { class: 'rate' }, figures ? fixed(figures.rate, 1) : '–'),
        el('td', { class: 'errors' }, figures ? `${fixed(figures.errorPct, 1)} %` : '–'),
        el('td', { class: 'p95' }, figures?.p95Ms != null ? `${fixed(figures.p95Ms, 0)} ms` : '–'),
        el('td', { class: 'dim' }, service.metrics ? 'scraped' : '–')), ...autoscale];
    }));
  }

  const STATE_TONE = { running: 'good', starting: 'meh', stopping: 'meh', backoff: 'bad', crashed: 'bad', exited: 'meh' };

  function lastExit(exit) {
    if (!exit) return '–';
    const how = exit.reason ?? (exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`);
    return `${how} at ${clock(exit.at)}`;
  }

  function renderInstances() {
    $('#instances tbody').replaceChildren(...view.instances.map((instance) => {
      const vitals = instance.vitals;
      const ready = instance.ejected ? badge('ejected', 'bad') : instance.ready ? badge('yes', 'good') : badge('no', 'bad');
      const metrics = !vitals ? '–' : vitals.scrape === 'ok' ? badge('ok', 'good') : badge('failing', 'bad');
      if (vitals?.error) metrics.title = vitals.error;
      const running = instance.state === 'running' || instance.state === 'starting';
      return el('tr', { 'data-instance': instance.id, 'data-state': instance.state, 'data-ready': instance.ejected ? 'ejected' : String(instance.ready), 'data-restarts': instance.restarts, 'data-version': instance.version },
        el('td', {}, instance.id),
        el('td', { class: 'version' }, `v${instance.version ?? 1}${instance.standby ? ' (standby)' : ''}`),
        el('td', {}, badge(instance.state, STATE_TONE[instance.state])),
        el('td', {}, ready),
        el('td', { class: 'restarts' }, String(instance.restarts)),
        el('td', { class: 'dim' }, instance.address),
        el('td', {}, running ? duration(Date.now() - Date.parse(instance.startedAt)) : '–'),
        el('td', {}, vitals?.rssBytes != null ? `${(vitals.rssBytes / 1048576).toFixed(0)} MB` : '–'),
        el('td', {}, vitals?.cpuPercent != null ? `${vitals.cpuPercent.toFixed(0)} %` : '–'),
        el('td', {}, metrics),
        el('td', { class: 'dim' }, lastExit(instance.lastExit)));
    }));
  }

  const EVENT_TONE = { crashed: 'bad', failed: 'bad', unhealthy: 'bad', killed: 'bad', ejected: 'bad', 'metrics-failing': 'meh', 'not-ready': 'meh', restarting: 'meh', ready: 'good', restarted: 'good', returned: 'good', 'metrics-back': 'good', deploying: 'meh', deployed: 'good', 'rolled-back': 'bad', 'deploy-failed': 'bad', chaos: 'meh' };

  function renderEvents() {
    $('#events').replaceChildren(...[...view.events].reverse().map((event) =>
      el('li', { 'data-type': event.type }, el('time', {}, clock(event.time)), badge(event.type, EVENT_TONE[event.type]), event.message)));
  }

  function renderLab() {
    const lab = view.lab;
    const box = $('#lab');
    if (!lab) return box.replaceChildren(el('span', { class: 'dim' }, 'none'));
    const check = lab.lastCheck;
    box.replaceChildren(
      el('div', {}, el('strong', {}, `Lab ${lab.id}`), ` · ${lab.title}`),
      el('div', { class: 'dim' }, `status: ${lab.status}`),
      check
        ? el('div', { 'data-last-check': check.ok ? 'passed' : 'failed' }, badge(check.ok ? 'passed' : 'failed', check.ok ? 'good' : 'bad'),
          ` last check ${new Date(check.at).toLocaleString([], { hour12: false })}: ${check.passed} passed, ${check.failed} failed${check.skipped ? `, ${check.skipped} skipped` : ''} · ${check.points.earned}/${check.points.possible} points`)
        : el('div', { class: 'dim' }, 'not checked yet: npx tall check'));
  }

  /** What `tall chaos` runs now: kill schedules and injected faults, with when they end. */
  function renderChaos() {
    const box = $('#chaos');
    if (view.chaos.length === 0) return box.replaceChildren(el('span', { class: 'dim' }, 'none'));
    box.replaceChildren(...view.chaos.map((item) => el('div', { class: 'item', 'data-chaos': `${item.kind} ${item.service}` },
      badge(item.kind, 'bad'), ' ', el('strong', {}, item.service), ` ${item.parameters} · `,
      el('span', { class: 'dim' }, item.endsAt ? `ends ${clock(item.endsAt)} (${duration(Date.parse(item.endsAt) - Date.now())} left)` : 'until stopped'))));
  }

  /** The broker's instances: state, plan, what is bound, the URL with its password masked; a message broker's queues. */
  function renderDataServices() {
    const box = $('#data-services');
    const data = view.dataServices;
    if (data.length === 0) return box.replaceChildren(el('span', { class: 'dim' }, 'none: npx tall marketplace, then npx tall service create'));
    box.replaceChildren(...data.map((item) => el('div', { class: 'item', 'data-data-service': item.name },
      el('div', {}, el('strong', {}, item.name), ' ', badge(item.server, item.server === 'running' ? 'good' : 'bad'), ` ${item.service} · plan ${item.plan} · ${item.operation}`),
      el('div', { class: 'dim' }, `bound to: ${item.boundTo.join(', ') || 'nothing'}${item.resurrections ? ` · brought back ${item.resurrections}×` : ''}`),
      ...item.queues.map((queue) => el('div', { 'data-queue': queue.name },
        'queue ', el('strong', {}, queue.name), `: ${queue.waiting} waiting · ${queue.active} being worked · lag ${queue.lagSeconds} s`,
        queue.failed ? ' · ' : '', queue.failed ? badge(`${queue.failed} failed`, 'bad') : '')),
      item.url ? el('code', {}, item.url) : '')));
  }

  function render() {
    renderHeader();
    renderServices();
    renderInstances();
    renderEvents();
    renderLab();
    renderChaos();
    renderDataServices();
  }

  // ---- the stream ----

  function setLive(on) {
    const live = $('#live');
    live.textContent = on ? 'live' : 'reconnecting…';
    live.className = on ? 'live' : 'live off';
  }

  const source = new EventSource('/dashboard/stream');
  source.onopen = () => setLive(true);
  source.onerror = () => setLive(false);
  source.addEventListener('view', (message) => {
    view = JSON.parse(message.data);
    const wanted = view.services.filter((service) => service.route).map((service) => service.route);
    if (wanted.join('\n') !== routes.join('\n')) {
      routes = wanted;
      buildCharts();
    }
    render();
    document.body.dataset.ready = 'yes';
  });
  source.addEventListener('history', (message) => {
    points = JSON.parse(message.data);
    updateCharts();
  });
  source.addEventListener('sample', (message) => {
    points.push(JSON.parse(message.data));
    if (points.length > KEEP) points.shift();
    updateCharts();
  });
})();
