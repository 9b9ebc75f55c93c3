// A local stand-in for Razorpay for the browser tests: the Subscriptions API Viva calls (HTTP Basic
// auth, JSON in and out, Razorpay's error envelope), a Standard Checkout script whose `open()` goes to
// a test payment page here, the signed callback back to the app, and signed webhooks. Everything lives
// in memory; only `node:` built-ins are used.
//
//   RAZORPAY_PORT (3929)              http://127.0.0.1:PORT (API base http://127.0.0.1:PORT/v1)
//   RAZORPAY_KEY_ID (rzp_test_viva)   Basic auth user, and the `key` checkout.js expects
//   RAZORPAY_KEY_SECRET (rzp_secret_viva)  Basic auth password; signs the checkout callback
//   RAZORPAY_WEBHOOK_URL              where events are POSTed (http://127.0.0.1:3917/webhooks/razorpay)
//   RAZORPAY_WEBHOOK_SECRET           signs X-Razorpay-Signature (rzp_whsec_viva)
//   RAZORPAY_PLANS                    id=amount:currency:period,… (plan_pro=99900:INR:monthly)
//
//   API:      POST /v1/subscriptions, GET /v1/subscriptions/:id, POST /v1/subscriptions/:id/cancel,
//             POST /v1/subscriptions/:id/cancel_scheduled_changes, GET /v1/invoices[/:id],
//             GET /v1/payments/:id, GET /v1/plans/:id
//   Browser:  GET /v1/checkout.js, GET|POST /pay (test checkout), GET /invoice/:inv
//   Controls: /__control/{requests,deliveries,events,subscriptions,hold,flush,down,advance,pending,
//             halt,send,replay,reset} (JSON), GET /healthz. See README.md.
import { createServer } from 'node:http';
import { createHmac, randomBytes } from 'node:crypto';

const port = Number(process.env.RAZORPAY_PORT ?? 3929);
const keyId = process.env.RAZORPAY_KEY_ID ?? 'rzp_test_viva';
const keySecret = process.env.RAZORPAY_KEY_SECRET ?? 'rzp_secret_viva';
const webhookUrl = process.env.RAZORPAY_WEBHOOK_URL ?? 'http://127.0.0.1:3917/webhooks/razorpay';
const webhookSecret = process.env.RAZORPAY_WEBHOOK_SECRET ?? 'rzp_whsec_viva';
const planSpec = process.env.RAZORPAY_PLANS ?? 'plan_pro=99900:INR:monthly';
const origin = `http://127.0.0.1:${port}`;
const ACCOUNT = 'acc_test';
const DAY = 24 * 3600;
const PERIOD_SECONDS = { daily: DAY, weekly: 7 * DAY, monthly: 30 * DAY, yearly: 365 * DAY };
const startedAt = Math.floor(Date.now() / 1000);

const now = () => Math.floor(Date.now() / 1000);
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
function newId(prefix, length = 14) {
  let s = '';
  for (const b of randomBytes(length)) s += ALPHABET[b % ALPHABET.length];
  return `${prefix}${s}`;
}
// Razorpay answers an empty `notes` as an empty JSON array, not an object.
const notesJson = (notes) => (notes && Object.keys(notes).length ? { ...notes } : []);

const plans = new Map();
for (const entry of planSpec.split(',').map((s) => s.trim()).filter(Boolean)) {
  const [id, rest = ''] = entry.split('=');
  const [amount, currency = 'INR', period = 'monthly'] = rest.split(':');
  const short = id.replace(/^plan_/, '');
  plans.set(id, {
    id,
    itemId: newId('item_'),
    amount: Number(amount),
    currency: currency.toUpperCase(),
    period,
    name: `Viva ${short.charAt(0).toUpperCase()}${short.slice(1)}`,
  });
}
const periodOf = (plan) => PERIOD_SECONDS[plan.period] ?? 30 * DAY;

const fresh = () => ({
  subscriptions: new Map(),
  payments: new Map(),
  invoices: new Map(),
  events: new Map(), // id -> {id, event, body}
  requests: [],
  deliveries: [],
  held: [],
  hold: false,
  down: false,
  seq: 0,
});
let state = fresh();

function money(amount, currency) {
  return new Intl.NumberFormat('en-IN', { style: 'currency', currency }).format(amount / 100);
}

// ---------------------------------------------------------------------------------------------
// Entities.

function planJson(plan) {
  return {
    id: plan.id,
    entity: 'plan',
    interval: 1,
    period: plan.period,
    item: {
      id: plan.itemId,
      active: true,
      name: plan.name,
      description: null,
      amount: plan.amount,
      unit_amount: plan.amount,
      currency: plan.currency,
      type: 'plan',
      unit: null,
      tax_inclusive: false,
      hsn_code: null,
      sac_code: null,
      tax_rate: null,
      tax_id: null,
      tax_group_id: null,
      created_at: startedAt,
      updated_at: startedAt,
    },
    notes: [],
    created_at: startedAt,
  };
}

function subscriptionJson(s) {
  return {
    id: s.id,
    entity: 'subscription',
    plan_id: s.planId,
    customer_id: s.customerId,
    status: s.status,
    current_start: s.currentStart,
    current_end: s.currentEnd,
    ended_at: s.endedAt,
    quantity: s.quantity,
    notes: notesJson(s.notes),
    charge_at: s.chargeAt,
    start_at: s.startAt,
    end_at: s.endAt,
    auth_attempts: s.authAttempts,
    total_count: s.totalCount,
    paid_count: s.paidCount,
    customer_notify: s.customerNotify,
    created_at: s.createdAt,
    expire_by: s.expireBy,
    short_url: `${origin}/pay?subscription_id=${s.id}`,
    has_scheduled_changes: s.cancelAtCycleEnd,
    change_scheduled_at: s.cancelAtCycleEnd ? s.currentEnd : null,
    source: 'api',
    payment_method: s.customerId ? 'card' : null,
    offer_id: null,
    remaining_count: s.totalCount - s.paidCount,
  };
}

function paymentJson(p) {
  return {
    id: p.id,
    entity: 'payment',
    amount: p.amount,
    currency: p.currency,
    status: 'captured',
    order_id: p.orderId,
    invoice_id: p.invoiceId,
    international: false,
    method: 'card',
    amount_refunded: 0,
    refund_status: null,
    captured: true,
    description: p.description,
    card_id: p.cardId,
    bank: null,
    wallet: null,
    vpa: null,
    email: p.email,
    contact: '+919000090000',
    customer_id: p.customerId,
    token_id: p.tokenId,
    notes: [],
    fee: 0,
    tax: 0,
    error_code: null,
    error_description: null,
    error_source: null,
    error_step: null,
    error_reason: null,
    acquirer_data: { auth_code: p.authCode },
    created_at: p.createdAt,
  };
}

function invoiceJson(inv) {
  const plan = plans.get(inv.planId);
  return {
    id: inv.id,
    entity: 'invoice',
    receipt: null,
    invoice_number: null,
    customer_id: inv.customerId,
    customer_details: {
      id: inv.customerId,
      name: null,
      email: inv.email,
      contact: '+919000090000',
      gstin: null,
      billing_address: null,
      shipping_address: null,
      customer_name: null,
      customer_email: inv.email,
      customer_contact: '+919000090000',
    },
    order_id: inv.orderId,
    subscription_id: inv.subscriptionId,
    line_items: [{
      id: inv.lineId,
      item_id: plan.itemId,
      ref_id: null,
      ref_type: null,
      name: plan.name,
      description: null,
      amount: plan.amount,
      unit_amount: plan.amount,
      gross_amount: inv.amount,
      tax_amount: 0,
      taxable_amount: inv.amount,
      net_amount: inv.amount,
      currency: plan.currency,
      type: 'plan',
      tax_inclusive: false,
      hsn_code: null,
      sac_code: null,
      tax_rate: null,
      unit: null,
      quantity: inv.quantity,
      taxes: [],
    }],
    payment_id: inv.paymentId,
    status: 'paid',
    expire_by: null,
    issued_at: inv.createdAt,
    paid_at: inv.createdAt,
    cancelled_at: null,
    expired_at: null,
    sms_status: null,
    email_status: null,
    date: inv.createdAt,
    terms: null,
    partial_payment: false,
    gross_amount: inv.amount,
    tax_amount: 0,
    taxable_amount: inv.amount,
    amount: inv.amount,
    amount_paid: inv.amount,
    amount_due: 0,
    currency: plan.currency,
    currency_symbol: plan.currency === 'INR' ? '₹' : plan.currency,
    description: null,
    notes: [],
    comment: null,
    short_url: `${origin}/invoice/${inv.id}`,
    view_less: true,
    billing_start: inv.billingStart,
    billing_end: inv.billingEnd,
    type: 'invoice',
    group_taxes_discounts: false,
    created_at: inv.createdAt,
    idempotency_key: null,
  };
}

// Razorpay's error envelope. `field` is there when one input is at fault.
function errorJson(description, { code = 'BAD_REQUEST_ERROR', field, source = 'business', step = 'payment_initiation', reason = 'input_validation_failed' } = {}) {
  const error = { code, description, source, step, reason, metadata: {} };
  if (field) error.field = field;
  return { error };
}

// ---------------------------------------------------------------------------------------------
// Webhooks: one at a time, in the order the events were made.

const hmac = (secret, text) => createHmac('sha256', secret).update(text).digest('hex');
let chain = Promise.resolve();
function serial(task) {
  const p = chain.then(task);
  chain = p.catch(() => {});
  return p;
}

async function post(ev, { sign = 'good' } = {}) {
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'Razorpay-Webhook/v1',
    'x-razorpay-event-id': ev.id,
  };
  if (sign !== 'none') headers['x-razorpay-signature'] = hmac(sign === 'bad' ? `${webhookSecret}_not` : webhookSecret, ev.body);
  let status = 0;
  let body = '';
  try {
    const res = await fetch(webhookUrl, { method: 'POST', headers, body: ev.body, signal: AbortSignal.timeout(15000) });
    status = res.status;
    body = await res.text();
  } catch (e) {
    body = `delivery failed: ${e.cause?.code ?? e.message}`;
  }
  const d = { event_id: ev.id, event: ev.event, status, body, signature: sign, at: new Date().toISOString() };
  state.deliveries.push(d);
  return d;
}
const deliver = (ev, options) => serial(() => post(ev, options));

function eventBody(event, payload) {
  return JSON.stringify({ entity: 'event', account_id: ACCOUNT, event, contains: Object.keys(payload), payload, created_at: now() });
}

// payload: {subscription: s, payment: p}; either may be left out.
function emit(event, { subscription, payment } = {}) {
  const payload = {};
  if (subscription) payload.subscription = { entity: subscriptionJson(subscription) };
  if (payment) payload.payment = { entity: paymentJson(payment) };
  const ev = { id: newId('evt_'), event, body: eventBody(event, payload) };
  state.events.set(ev.id, ev);
  if (state.hold) {
    state.held.push(ev);
    return Promise.resolve({ event_id: ev.id, event, held: true });
  }
  return deliver(ev);
}

// ---------------------------------------------------------------------------------------------
// Billing.

// One successful charge for the subscription's current cycle: payment, order and paid invoice.
function charge(s, email) {
  const plan = plans.get(s.planId);
  const t = now();
  const p = {
    id: newId('pay_'),
    amount: plan.amount * s.quantity,
    currency: plan.currency,
    orderId: newId('order_'),
    invoiceId: newId('inv_'),
    description: plan.name,
    cardId: s.cardId,
    email,
    customerId: s.customerId,
    tokenId: s.tokenId,
    authCode: String(100000 + (randomBytes(3).readUIntBE(0, 3) % 900000)),
    createdAt: t,
  };
  const inv = {
    id: p.invoiceId,
    seq: ++state.seq,
    customerId: s.customerId,
    email,
    orderId: p.orderId,
    subscriptionId: s.id,
    paymentId: p.id,
    planId: s.planId,
    quantity: s.quantity,
    amount: p.amount,
    lineId: newId('li_'),
    createdAt: t,
    billingStart: s.currentStart,
    billingEnd: s.currentEnd,
  };
  state.payments.set(p.id, p);
  state.invoices.set(inv.id, inv);
  s.paidCount += 1;
  s.lastPayment = p.id;
  return p;
}

function startCycle(s, at = now()) {
  s.currentStart = at;
  s.currentEnd = at + periodOf(plans.get(s.planId));
}

// ---------------------------------------------------------------------------------------------
// HTTP plumbing.

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

// Form bodies (`notes[key]=value`) for clients that do not send JSON.
function parseForm(text) {
  const root = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const m = key.match(/^([^[\]]+)((?:\[[^[\]]*\])*)$/);
    const path = m ? [m[1], ...[...m[2].matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1])] : [key];
    let node = root;
    path.forEach((seg, i) => {
      if (seg === '__proto__' || seg === 'constructor' || seg === 'prototype') return;
      if (i === path.length - 1) node[seg] = value;
      else {
        if (typeof node[seg] !== 'object' || node[seg] === null) node[seg] = {};
        node = node[seg];
      }
    });
  }
  return root;
}

function send(res, status, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json', ...headers });
  res.end(text);
}

const escapeHtml = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
function page(res, status, title, body, extraHead = '') {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>${extraHead}</head>
<body><main>
${body}
</main></body></html>`);
}

// 0/1, true/false, "0"/"1", "true"/"false".
const flag = (v) => v === true || v === 1 || v === '1' || v === 'true';
const isInt = (v) => v !== '' && v !== null && v !== undefined && Number.isInteger(Number(v));

// ---------------------------------------------------------------------------------------------
// The API.

class ApiError extends Error {
  constructor(status, description, options = {}) {
    super(description);
    this.status = status;
    this.options = options;
  }
}
const invalid = (description, field) => new ApiError(400, description, { field });

function getSubscription(id) {
  const s = state.subscriptions.get(id);
  if (!s) throw invalid('The id provided does not exist', 'id');
  return s;
}

// Returns [status, json, afterResponse?]; webhooks caused by a call go out after its response.
function api(method, path, input, query) {
  let m;
  if (method === 'POST' && path === '/v1/subscriptions') {
    if (!input.plan_id) throw invalid('The plan id field is required.', 'plan_id');
    if (!plans.has(input.plan_id)) throw invalid('The id provided does not exist', 'plan_id');
    if (input.total_count === undefined || input.total_count === null || input.total_count === '') throw invalid('The total count field is required.', 'total_count');
    if (!isInt(input.total_count) || Number(input.total_count) < 1) throw invalid('The total count must be at least 1.', 'total_count');
    if (input.quantity !== undefined && (!isInt(input.quantity) || Number(input.quantity) < 1)) throw invalid('The quantity must be at least 1.', 'quantity');
    if (input.notes !== undefined && (typeof input.notes !== 'object' || Array.isArray(input.notes))) throw invalid('The notes field must be an array.', 'notes');
    if (input.start_at !== undefined && (!isInt(input.start_at) || Number(input.start_at) <= now())) throw invalid('The start at must be a future timestamp.', 'start_at');
    if (input.expire_by !== undefined && input.expire_by !== null && (!isInt(input.expire_by) || Number(input.expire_by) <= now())) throw invalid('The expire by must be a future timestamp.', 'expire_by');
    const plan = plans.get(input.plan_id);
    const t = now();
    const startAt = input.start_at === undefined ? null : Number(input.start_at);
    const totalCount = Number(input.total_count);
    const s = {
      id: newId('sub_'),
      seq: ++state.seq,
      planId: plan.id,
      customerId: null,
      status: 'created',
      currentStart: null,
      currentEnd: null,
      endedAt: null,
      quantity: input.quantity === undefined ? 1 : Number(input.quantity),
      notes: Object.fromEntries(Object.entries(input.notes ?? {}).map(([k, v]) => [k, String(v)])),
      chargeAt: startAt ?? t,
      startAt,
      endAt: (startAt ?? t) + totalCount * periodOf(plan),
      authAttempts: 0,
      totalCount,
      paidCount: 0,
      customerNotify: input.customer_notify === undefined ? true : flag(input.customer_notify),
      createdAt: t,
      expireBy: input.expire_by == null ? null : Number(input.expire_by),
      cancelAtCycleEnd: false,
      cardId: null,
      tokenId: null,
      email: null,
      lastPayment: null,
    };
    state.subscriptions.set(s.id, s);
    return [200, subscriptionJson(s)];
  }
  if ((m = path.match(/^\/v1\/subscriptions\/([^/]+)$/)) && method === 'GET') {
    return [200, subscriptionJson(getSubscription(m[1]))];
  }
  if ((m = path.match(/^\/v1\/subscriptions\/([^/]+)\/cancel$/)) && method === 'POST') {
    const s = getSubscription(m[1]);
    if (['cancelled', 'completed', 'expired'].includes(s.status)) throw invalid(`Subscription is not cancellable in ${s.status} status.`);
    if (flag(input.cancel_at_cycle_end)) {
      if (s.status !== 'active') throw invalid('Subscription cannot be cancelled at cycle end as it is not active.', 'cancel_at_cycle_end');
      s.cancelAtCycleEnd = true;
      return [200, subscriptionJson(s)];
    }
    s.status = 'cancelled';
    s.endedAt = now();
    s.chargeAt = null;
    s.cancelAtCycleEnd = false;
    return [200, subscriptionJson(s), () => emit('subscription.cancelled', { subscription: s })];
  }
  if ((m = path.match(/^\/v1\/subscriptions\/([^/]+)\/cancel_scheduled_changes$/)) && method === 'POST') {
    const s = getSubscription(m[1]);
    s.cancelAtCycleEnd = false;
    return [200, subscriptionJson(s)];
  }
  if (method === 'GET' && path === '/v1/invoices') {
    let invs = [...state.invoices.values()].sort((a, b) => b.seq - a.seq);
    if (query.get('subscription_id')) invs = invs.filter((i) => i.subscriptionId === query.get('subscription_id'));
    if (query.get('customer_id')) invs = invs.filter((i) => i.customerId === query.get('customer_id'));
    if (query.get('payment_id')) invs = invs.filter((i) => i.paymentId === query.get('payment_id'));
    const skip = Math.max(0, Number(query.get('skip') ?? 0) || 0);
    const count = Math.min(100, Math.max(1, Number(query.get('count') ?? 10) || 10));
    const items = invs.slice(skip, skip + count).map(invoiceJson);
    return [200, { entity: 'collection', count: items.length, items }];
  }
  if ((m = path.match(/^\/v1\/invoices\/([^/]+)$/)) && method === 'GET') {
    const inv = state.invoices.get(m[1]);
    if (!inv) throw invalid('The id provided does not exist', 'id');
    return [200, invoiceJson(inv)];
  }
  if ((m = path.match(/^\/v1\/payments\/([^/]+)$/)) && method === 'GET') {
    const p = state.payments.get(m[1]);
    if (!p) throw invalid('The id provided does not exist', 'id');
    return [200, paymentJson(p)];
  }
  if ((m = path.match(/^\/v1\/plans\/([^/]+)$/)) && method === 'GET') {
    if (!plans.has(m[1])) throw invalid('The id provided does not exist', 'id');
    return [200, planJson(plans.get(m[1]))];
  }
  throw new ApiError(404, 'The requested URL was not found on the server.', { code: 'BAD_REQUEST_ERROR', source: 'NA', step: 'NA', reason: 'NA' });
}

async function handleApi(req, res, url) {
  const raw = await readBody(req);
  const type = req.headers['content-type'] ?? '';
  let input = {};
  let badJson = false;
  if (raw) {
    if (type.includes('json')) {
      try {
        input = JSON.parse(raw);
      } catch {
        badJson = true;
      }
    } else input = parseForm(raw);
  }
  state.requests.push({ method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams), body: badJson ? raw : input, at: new Date().toISOString() });
  if (state.down) {
    return send(res, 500, errorJson('The server encountered an error. The incident has been reported to admins.', { code: 'SERVER_ERROR', source: 'NA', step: 'NA', reason: 'NA' }));
  }
  const auth = req.headers.authorization ?? '';
  const [user, pass] = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString().split(':') : [];
  if (user !== keyId || pass !== keySecret) {
    return send(res, 401, errorJson('Authentication failed', { source: 'NA', step: 'NA', reason: 'NA' }));
  }
  if (badJson || typeof input !== 'object' || input === null || Array.isArray(input)) {
    return send(res, 400, errorJson('The request body is not valid JSON.'));
  }
  let status;
  let json;
  let after;
  try {
    [status, json, after] = api(req.method, url.pathname, input, url.searchParams);
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    status = e.status;
    json = errorJson(e.message, e.options);
  }
  send(res, status, json);
  if (after) setImmediate(after);
}

// ---------------------------------------------------------------------------------------------
// Browser: checkout.js, the payment page, the callback form, invoice pages.

const checkoutJs = `// Test double of Razorpay Standard Checkout: open() goes to the test payment page.
(function () {
  var base = ${JSON.stringify(origin)};
  function Razorpay(options) {
    if (!(this instanceof Razorpay)) return new Razorpay(options);
    this.options = options || {};
    this.handlers = {};
  }
  Razorpay.prototype.on = function (name, fn) { this.handlers[name] = fn; return this; };
  Razorpay.prototype.close = function () {};
  Razorpay.prototype.open = function () {
    var o = this.options;
    var q = new URLSearchParams();
    if (o.key) q.set('key', o.key);
    if (o.subscription_id) q.set('subscription_id', o.subscription_id);
    if (o.callback_url) q.set('callback_url', o.callback_url);
    if (o.name) q.set('name', o.name);
    if (o.description) q.set('description', o.description);
    if (o.prefill && o.prefill.email) q.set('email', o.prefill.email);
    window.location.href = base + '/pay?' + q.toString();
  };
  window.Razorpay = Razorpay;
})();
`;

function payPage(res, params, error = '', status = 200) {
  const s = state.subscriptions.get(params.get('subscription_id') ?? '');
  if (!s) return page(res, 404, 'Test Razorpay checkout', '<h1>Test Razorpay checkout</h1>\n<p role="alert">No such subscription.</p>');
  if (params.get('key') && params.get('key') !== keyId) {
    return page(res, 400, 'Test Razorpay checkout', '<h1>Test Razorpay checkout</h1>\n<p role="alert">The key passed to checkout is not this account\'s key id.</p>');
  }
  if (s.status !== 'created') {
    return page(res, 409, 'Test Razorpay checkout', `<h1>Test Razorpay checkout</h1>\n<p role="alert">This subscription is ${escapeHtml(s.status)}; it cannot be paid for again.</p>`);
  }
  const plan = plans.get(s.planId);
  const hidden = ['subscription_id', 'callback_url', 'name', 'description']
    .filter((k) => params.get(k))
    .map((k) => `  <input type="hidden" name="${k}" value="${escapeHtml(params.get(k))}">`).join('\n');
  return page(res, status, 'Test Razorpay checkout', `<h1>Test Razorpay checkout</h1>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<p>${escapeHtml(params.get('name') || 'Viva')}${params.get('description') ? `: ${escapeHtml(params.get('description'))}` : ''}</p>
<p>${escapeHtml(plan.name)} (<code>${escapeHtml(plan.id)}</code>): <strong>${escapeHtml(money(plan.amount * s.quantity, plan.currency))}</strong> ${escapeHtml(plan.period)}, ${s.totalCount} payments.</p>
<form method="post" action="/pay">
${hidden}
  <label for="email">E-mail</label>
  <input id="email" name="email" type="email" autocomplete="email" required value="${escapeHtml(params.get('email') ?? '')}">
  <p>Card: test card.</p>
  <button type="submit" name="action" value="pay">Pay</button>
  <button type="submit" name="action" value="decline">Decline</button>
</form>`);
}

// The page that hands the result to the app: a form POSTed to callback_url (automatically with JS,
// with the "Continue" button without).
function callbackPage(res, title, callbackUrl, fields) {
  const inputs = Object.entries(fields).map(([k, v]) => `  <input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`).join('\n');
  if (!callbackUrl) {
    return page(res, 200, title, `<h1>${escapeHtml(title)}</h1>\n<dl>\n${Object.entries(fields).map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('\n')}\n</dl>`);
  }
  return page(res, 200, title, `<h1>${escapeHtml(title)}</h1>
<form id="callback" method="post" action="${escapeHtml(callbackUrl)}">
${inputs}
  <button type="submit">Continue</button>
</form>
<script>document.getElementById('callback').submit();</script>`);
}

async function handleBrowser(req, res, url) {
  let m;
  if (url.pathname === '/v1/checkout.js' && req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/javascript; charset=utf-8', 'cache-control': 'no-store' });
    return res.end(checkoutJs);
  }
  if (url.pathname === '/pay' && req.method === 'GET') return payPage(res, url.searchParams);
  if (url.pathname === '/pay' && req.method === 'POST') {
    const form = new URLSearchParams(await readBody(req));
    const s = state.subscriptions.get(form.get('subscription_id') ?? '');
    if (!s || s.status !== 'created') return payPage(res, form);
    const email = (form.get('email') ?? '').trim();
    if (!/^[^@\s]+@[^@\s]+$/.test(email)) return payPage(res, form, 'Enter an e-mail address.', 400);
    const callbackUrl = form.get('callback_url');
    if (form.get('action') === 'decline') {
      s.authAttempts += 1;
      const paymentId = newId('pay_');
      return callbackPage(res, 'Payment failed', callbackUrl, {
        'error[code]': 'BAD_REQUEST_ERROR',
        'error[description]': 'Payment failed because the card was declined (test).',
        'error[source]': 'customer',
        'error[step]': 'payment_authorization',
        'error[reason]': 'payment_failed',
        'error[metadata]': JSON.stringify({ payment_id: paymentId, order_id: newId('order_') }),
      });
    }
    s.customerId = newId('cust_');
    s.cardId = newId('card_');
    s.tokenId = newId('token_');
    s.email = email;
    s.status = 'active';
    startCycle(s);
    s.startAt = s.startAt ?? s.currentStart;
    const payment = charge(s, email);
    s.chargeAt = s.paidCount < s.totalCount ? s.currentEnd : null;
    emit('subscription.activated', { subscription: s });
    await emit('subscription.charged', { subscription: s, payment });
    return callbackPage(res, 'Payment successful', callbackUrl, {
      razorpay_payment_id: payment.id,
      razorpay_subscription_id: s.id,
      razorpay_signature: hmac(keySecret, `${payment.id}|${s.id}`),
    });
  }
  if ((m = url.pathname.match(/^\/invoice\/([^/]+)$/)) && req.method === 'GET') {
    const inv = state.invoices.get(m[1]);
    if (!inv) return page(res, 404, 'Invoice', '<h1>Invoice</h1>\n<p role="alert">No such invoice.</p>');
    const plan = plans.get(inv.planId);
    const date = (t) => new Date(t * 1000).toISOString().slice(0, 10);
    return page(res, 200, `Invoice ${inv.id}`, `<h1>Invoice ${escapeHtml(inv.id)}</h1>
<p>${escapeHtml(plan.name)} × ${inv.quantity}: ${escapeHtml(money(inv.amount, plan.currency))}, paid</p>
<p>Period ${date(inv.billingStart)} to ${date(inv.billingEnd)}</p>
<p>Payment <code>${escapeHtml(inv.paymentId)}</code></p>`);
  }
  return page(res, 404, 'Not found', '<h1>Not found</h1>');
}

// ---------------------------------------------------------------------------------------------
// Test controls.

class ControlError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function controlSubscription(id, allowed) {
  const s = state.subscriptions.get(id ?? '');
  if (!s) throw new ControlError(404, `no subscription ${id}`);
  if (allowed && !allowed.includes(s.status)) throw new ControlError(400, `${s.id} is ${s.status}`);
  return s;
}

async function control(method, name, input) {
  const key = `${method} ${name}`;
  switch (key) {
    case 'GET requests': return state.requests;
    case 'DELETE requests': state.requests = []; return { ok: true };
    case 'GET deliveries': return state.deliveries;
    case 'DELETE deliveries': state.deliveries = []; return { ok: true };
    case 'GET events': return [...state.events.values()].map(({ id, event, body }) => ({ id, event, body: JSON.parse(body) }));
    case 'GET subscriptions': return [...state.subscriptions.values()].map(subscriptionJson);
    case 'POST hold': state.hold = Boolean(input.on); return { hold: state.hold, queued: state.held.length };
    case 'POST flush': {
      const queued = state.held;
      state.held = [];
      if (input.order === 'reverse') queued.reverse();
      const deliveries = [];
      for (const ev of queued) deliveries.push(await deliver(ev));
      return { deliveries };
    }
    case 'POST down': state.down = Boolean(input.on); return { down: state.down };
    case 'POST advance': {
      const s = controlSubscription(input.subscription_id, ['active', 'pending', 'halted']);
      const deliveries = [];
      if (s.cancelAtCycleEnd) {
        s.status = 'cancelled';
        s.endedAt = now();
        s.currentEnd = s.endedAt;
        s.chargeAt = null;
        s.cancelAtCycleEnd = false;
        deliveries.push(await emit('subscription.cancelled', { subscription: s }));
        return { subscription: subscriptionJson(s), deliveries };
      }
      s.status = 'active';
      s.authAttempts = 0;
      startCycle(s);
      const payment = charge(s, s.email);
      s.chargeAt = s.paidCount < s.totalCount ? s.currentEnd : null;
      if (s.paidCount >= s.totalCount) {
        s.status = 'completed';
        s.endedAt = now();
      }
      deliveries.push(await emit('subscription.charged', { subscription: s, payment }));
      if (s.status === 'completed') deliveries.push(await emit('subscription.completed', { subscription: s }));
      return { subscription: subscriptionJson(s), payment: paymentJson(payment), invoice: invoiceJson(state.invoices.get(payment.invoiceId)), deliveries };
    }
    case 'POST pending': {
      const s = controlSubscription(input.subscription_id, ['active']);
      s.status = 'pending';
      s.authAttempts += 1;
      return { subscription: subscriptionJson(s), deliveries: [await emit('subscription.pending', { subscription: s })] };
    }
    case 'POST halt': {
      const s = controlSubscription(input.subscription_id, ['active', 'pending']);
      s.status = 'halted';
      s.authAttempts = Math.max(s.authAttempts, 4);
      return { subscription: subscriptionJson(s), deliveries: [await emit('subscription.halted', { subscription: s })] };
    }
    case 'POST send': {
      if (!input.event) throw new ControlError(400, 'event is required');
      let payload = input.payload;
      if (!payload && input.subscription_id) {
        const s = controlSubscription(input.subscription_id);
        payload = { subscription: { entity: subscriptionJson(s) } };
        if (s.lastPayment) payload.payment = { entity: paymentJson(state.payments.get(s.lastPayment)) };
      }
      if (!payload || typeof payload !== 'object') throw new ControlError(400, 'payload (or subscription_id) is required');
      const ev = { id: input.id ?? newId('evt_'), event: input.event, body: eventBody(input.event, payload) };
      state.events.set(ev.id, ev);
      const d = await deliver(ev, { sign: input.sign ?? 'good' });
      return { status: d.status, body: d.body, event: JSON.parse(ev.body), event_id: ev.id };
    }
    case 'POST replay': {
      const ev = state.events.get(input.id ?? '');
      if (!ev) throw new ControlError(404, `no event ${input.id}`);
      const d = await deliver(ev);
      return { status: d.status, body: d.body };
    }
    case 'POST reset': state = fresh(); return { ok: true };
    default: throw new ControlError(404, `no control ${key}`);
  }
}

// ---------------------------------------------------------------------------------------------

const server = createServer(async (req, res) => {
  try {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname === '/healthz') return send(res, 200, 'ok');
    if (url.pathname === '/v1/checkout.js') return await handleBrowser(req, res, url);
    if (url.pathname.startsWith('/v1/')) return await handleApi(req, res, url);
    const c = url.pathname.match(/^\/__control\/([a-z]+)$/);
    if (c) {
      const text = await readBody(req);
      let input = {};
      try {
        input = text ? JSON.parse(text) : {};
      } catch {
        return send(res, 400, { error: 'body must be JSON' });
      }
      try {
        return send(res, 200, await control(req.method, c[1], input ?? {}));
      } catch (e) {
        if (e instanceof ControlError) return send(res, e.status, { error: e.message });
        throw e;
      }
    }
    return await handleBrowser(req, res, url);
  } catch (e) {
    console.error('razorpay-server:', e);
    if (!res.headersSent) send(res, 500, errorJson(String(e), { code: 'SERVER_ERROR', source: 'NA', step: 'NA', reason: 'NA' }));
    else res.end();
  }
});

server.listen(port, '127.0.0.1', () => console.log(`razorpay-server listening on ${port}`));
const stop = () => {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
