// harness.mjs: replays steps files through ODK's own form engine (@getodk/xforms-engine) headless and prints xform-ref-trace/1 traces.
//
// Usage: node harness.mjs FORM.xml STEPS.json [MORE_STEPS.json ...] [--now ISO-8601] [--fixed-random X] [--time]
//
// With one steps file it prints one trace as JSON; with several it loads the form once, replays
// each file on a fresh instance and prints one trace per line (JSON Lines), so Canvass's
// conformance test pays for Node, jsdom and the form's parse once per form rather than per walk.
// With --time it prints, instead of traces, one JSON line of timings (load and per-step
// milliseconds) for the engine benchmark. With --fixed-random X every XPath random() draw is X
// (0 <= X < 1), as in `canvass_form::replay::Options::fixed_random`, so a form that draws numbers
// can be compared with Canvass under the same draws; uuid() keeps its own seeded generator.
//
// The engine needs a DOM, a frozen clock and seeded randomness before it is imported, because it
// captures these globals when its module loads; hence the dynamic import below.

import { readFileSync, existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

process.env.TZ = 'UTC';

const args = process.argv.slice(2);
let now = '2025-01-15T10:00:00.000Z';
let timing = false;
let fixedRandom = null;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--now') now = args[++i];
  else if (args[i] === '--time') timing = true;
  else if (args[i] === '--fixed-random') fixedRandom = Number(args[++i]);
  else files.push(args[i]);
}
if (files.length < 2) {
  process.stderr.write('usage: node harness.mjs FORM.xml STEPS.json [MORE_STEPS.json ...] [--now ISO-8601] [--time]\n');
  process.exit(2);
}
const [formPath, ...stepsPaths] = files;

// A DOM for the engine: jsdom's window globals copied onto globalThis.
const { JSDOM } = await import('jsdom');
const dom = new JSDOM('<!doctype html><html><body></body></html>');
for (const key of Object.getOwnPropertyNames(dom.window)) {
  if (key in globalThis) continue;
  try {
    globalThis[key] = dom.window[key];
  } catch {
    // Some window properties are accessors that refuse to be read out of context; the engine needs none of them.
  }
}
for (const key of ['DOMParser', 'XMLSerializer', 'Node', 'Element', 'Document', 'document', 'XMLDocument', 'Attr', 'Text', 'NodeFilter', 'XPathResult', 'DocumentFragment', 'HTMLElement']) {
  if (dom.window[key] !== undefined) globalThis[key] = dom.window[key];
}
// The bundled tree-sitter XPath parser takes a Node-only branch that reads __dirname.
globalThis.__dirname = '/';

// A frozen clock: `new Date()` and `Date.now()` return the replay's `now`; explicit dates work as usual.
const frozen = Date.parse(now);
const RealDate = Date;
class FrozenDate extends RealDate {
  constructor(...a) {
    if (a.length === 0) super(frozen);
    else super(...a);
  }
  static now() {
    return frozen;
  }
}
globalThis.Date = FrozenDate;

// Seeded randomness (mulberry32), so uuid() and random() are reproducible from run to run.
let seed = 0x2545f491;
function random() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
// The engine binds its XPath random() to Math.random; its uuids come from crypto below, which
// keeps the seeded stream, so a fixed draw never makes two node ids collide.
Math.random = fixedRandom === null ? random : () => fixedRandom;
const cryptoObj = globalThis.crypto;
cryptoObj.getRandomValues = (arr) => {
  for (let i = 0; i < arr.length; i++) arr[i] = Math.floor(random() * 256);
  return arr;
};
cryptoObj.randomUUID = () => {
  const h = [...Array(32)].map(() => Math.floor(random() * 16).toString(16));
  h[12] = '4';
  return `${h.slice(0, 8).join('')}-${h.slice(8, 12).join('')}-${h.slice(12, 16).join('')}-${h.slice(16, 20).join('')}-${h.slice(20).join('')}`;
};

const { loadForm } = await import('@getodk/xforms-engine');

// Attachments (jr://file/NAME) come from a `FORM-media/` folder beside the form; a missing one is blank.
const mediaDir = join(dirname(formPath), basename(formPath).replace(/\.xml$/, '') + '-media');
async function fetchFormAttachment(url) {
  const name = decodeURIComponent(String(url.href ?? url).split('/').pop());
  const file = join(mediaDir, name);
  if (existsSync(file)) return new Response(readFileSync(file));
  return new Response('', { status: 404 });
}

const xml = readFileSync(formPath, 'utf8');
const t0 = performance.now();
let form;
let loadError = null;
try {
  form = await loadForm(xml, { missingResourceBehavior: 'BLANK', fetchFormAttachment });
  if (form.status === 'failure') loadError = String(form.error?.message ?? form.error);
} catch (e) {
  loadError = String(e?.message ?? e);
}

function readSteps(path) {
  const parsed = JSON.parse(readFileSync(path, 'utf8'));
  return Array.isArray(parsed) ? parsed : parsed.steps;
}

// One row per node below the root, in document order, as replay-format.md describes.
function snapshot(root) {
  const rows = [];
  const walk = (node) => {
    for (const child of node.currentState.children ?? []) {
      rows.push(row(child));
      if (child.currentState.children) walk(child);
    }
  };
  walk(root);
  return rows;
}

function row(node) {
  const s = node.currentState;
  const r = {
    path: s.reference,
    kind: node.nodeType,
    relevant: s.relevant,
    required: s.required,
    readonly: s.readonly,
  };
  if (node.nodeType.startsWith('repeat-range')) {
    r.count = s.children.length;
    return r;
  }
  if (s.children !== null && node.nodeType !== 'model-value') return r;
  if (!('instanceValue' in s)) return r;
  r.type = node.valueType ?? node.definition?.valueType;
  // The format reports a blank value while a node is not relevant; the entered value is kept.
  r.value = s.relevant ? canonical(r.type, String(s.instanceValue ?? '')) : '';
  const v = node.validationState;
  r.constraint_valid = !(s.relevant && r.value !== '' && v?.constraint?.valid === false);
  r.required_valid = !(s.relevant && v?.required?.valid === false);
  if (node.nodeType === 'select' || node.nodeType === 'rank') {
    r.choices = [...(s.valueOptions ?? [])].map((o) => o.value);
  }
  const preload = node.definition?.bind?.preload;
  if (preload?.type) r.preload = preload.parameter ? `${preload.type}:${preload.parameter}` : preload.type;
  return r;
}

// Numbers as replay-format.md reports them, canonical (`7.0` is `7`); the web engine keeps
// decimals as typed. Geopoints stay as the engine writes them (`0.0`), as Canvass writes them too.
function canonical(type, value) {
  const num = (v) => {
    const n = Number(v);
    return v.trim() !== '' && Number.isFinite(n) ? String(n) : null;
  };
  if (value === '') return value;
  if (type === 'int' || type === 'decimal') return num(value) ?? value;
  return value;
}

function index(root) {
  const byPath = new Map();
  const walk = (node) => {
    byPath.set(node.currentState.reference, node);
    for (const child of node.currentState.children ?? []) walk(child);
  };
  walk(root);
  return byPath;
}

function apply(root, step) {
  const byPath = index(root);
  const find = (path) => {
    const node = byPath.get(path);
    if (!node) throw new Error(`no node at ${path}`);
    return node;
  };
  if (typeof step.set === 'string') {
    const node = find(step.set);
    const value = step.value === null || step.value === undefined ? '' : String(step.value);
    if (node.currentState.readonly) throw new Error(`${step.set} is read-only`);
    switch (node.nodeType) {
      case 'input':
      case 'range':
        node.setValue(value);
        return;
      case 'select':
        if (node.selectType === 'select') node.selectValues(value.split(' ').filter(Boolean));
        else node.selectValue(value === '' ? null : value);
        return;
      case 'rank':
        node.setValues(value.split(' ').filter(Boolean));
        return;
      case 'trigger':
        node.setValue(value !== '');
        return;
      default:
        throw new Error(`${step.set} is a ${node.nodeType} and takes no answer`);
    }
  }
  if (typeof step.add_repeat === 'string') {
    const node = find(step.add_repeat);
    if (node.nodeType !== 'repeat-range:uncontrolled') throw new Error(`${step.add_repeat} is not an interviewer-controlled repeat`);
    node.addInstances();
    return;
  }
  if (typeof step.remove_repeat === 'string') {
    const node = find(step.remove_repeat);
    const range = node.parent;
    if (node.nodeType !== 'repeat-instance' || range?.nodeType !== 'repeat-range:uncontrolled') {
      throw new Error(`${step.remove_repeat} is not an instance of an interviewer-controlled repeat`);
    }
    range.removeInstances(range.currentState.children.indexOf(node));
    return;
  }
  if (typeof step.lang === 'string') {
    const lang = root.languages.find((l) => l.language === step.lang);
    if (!lang) throw new Error(`the form has no language \`${step.lang}\``);
    root.setLanguage(lang);
    return;
  }
  throw new Error('unknown step: expected `set`, `add_repeat`, `remove_repeat` or `lang`');
}

function replay(steps) {
  const trace = {
    format: 'xform-ref-trace/1',
    engine: { name: '@getodk/xforms-engine', version: '0.22.0' },
    env: { now, tz: 'UTC' },
    form: formPath,
    snapshot_mode: 'full',
  };
  if (loadError !== null) {
    trace.load = { ok: false, stage: 'load', error: loadError };
    trace.initial = null;
    trace.steps = [];
    return trace;
  }
  let root;
  try {
    root = form.createInstance().root;
  } catch (e) {
    trace.load = { ok: false, stage: 'instance', error: String(e?.message ?? e) };
    trace.initial = null;
    trace.steps = [];
    return trace;
  }
  trace.load = { ok: true, status: form.status, warnings: [] };
  trace.initial = snapshot(root);
  trace.steps = steps.map((step, i) => {
    const rec = { index: i, step, ok: true };
    try {
      apply(root, step);
    } catch (e) {
      rec.ok = false;
      rec.error = String(e?.message ?? e);
    }
    rec.snapshot = snapshot(root);
    return rec;
  });
  return trace;
}

// Timings for the benchmark: instance creation and each step, without taking snapshots.
function time(steps) {
  if (loadError !== null) return { ok: false, error: loadError };
  const c0 = performance.now();
  const root = form.createInstance().root;
  const create = performance.now() - c0;
  const per = steps.map((step) => {
    const s0 = performance.now();
    try {
      apply(root, step);
    } catch {
      // A step that cannot be applied still costs its lookup; it is timed like the rest.
    }
    return performance.now() - s0;
  });
  return { ok: true, load_ms: loadMs, create_ms: create, step_ms: per };
}

const loadMs = performance.now() - t0;
for (const path of stepsPaths) {
  const steps = readSteps(path);
  const out = timing ? time(steps) : replay(steps);
  process.stdout.write(stepsPaths.length === 1 && !timing ? JSON.stringify(out, null, 2) + '\n' : JSON.stringify(out) + '\n');
}
