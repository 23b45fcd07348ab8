// twitter-api-v2 (PLhery, unmodified, from npm) against `placewatch sim`.
//
// Redirection (script only), through the library's documented extension points:
//  * a plugin whose `onBeforeRequest` hook rewrites the already-built URL object
//    (`computedParams.url`, the very object the request is sent to) from
//    https://api.x.com|x.com|api.twitter.com|twitter.com to API_BASE; and
//  * `httpAgent: new http.Agent()` in the client settings, because the library
//    always calls https.request(); Node accepts protocol 'http:' there only when
//    the agent is an http.Agent.
// Both settings are copied to every client the library derives (loginWithOAuth2,
// refreshOAuth2Token, paginators). The authorize URL string from
// generateOAuth2AuthLink() is rewritten the same way before we GET it.
//
// env: API_BASE (default http://127.0.0.1:7078, the recording proxy),
//      SIM (default http://127.0.0.1:7077, control routes), CREDS.
'use strict';
const http = require('http');
const fs = require('fs');
const { TwitterApi, ApiResponseError } = require('twitter-api-v2');

const API_BASE = new URL(process.env.API_BASE || 'http://127.0.0.1:7078');
const SIM = process.env.SIM || 'http://127.0.0.1:7077';
const CREDS = JSON.parse(fs.readFileSync(process.env.CREDS));
const HOSTS = new Set(['api.x.com', 'x.com', 'api.twitter.com', 'twitter.com']);

function rewriteUrl(u) {
  if (u.protocol === 'https:' && HOSTS.has(u.hostname)) {
    u.protocol = API_BASE.protocol;
    u.host = API_BASE.host;
  }
  return u;
}
const redirectPlugin = {
  onBeforeRequest({ computedParams }) { rewriteUrl(computedParams.url); },
};
const SETTINGS = { httpAgent: new http.Agent({ keepAlive: false }), plugins: [redirectPlugin] };

const results = [];
function check(name, ok, detail = '') {
  results.push([name, !!ok, detail]);
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${detail ? ' -- ' + detail : ''}`);
}
const tsMs = (id) => Number(BigInt(id) >> 22n) + 1288834974657;
const decreasing = (ids) => ids.every((v, i) => i === 0 || BigInt(ids[i - 1]) > BigInt(v));
async function sim(method, path, body) {
  const r = await fetch(SIM + path, { method, headers: { 'content-type': 'application/json' }, body: body && JSON.stringify(body) });
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
  return r.status === 204 ? null : r.json();
}

// Every value the library's types allow (TTweetv2* = keyof TweetV2 etc. in dist/*/types/v2).
const FIELDS = {
  'tweet.fields': ['id', 'text', 'edit_history_tweet_ids', 'created_at', 'author_id', 'conversation_id', 'in_reply_to_user_id',
    'referenced_tweets', 'attachments', 'geo', 'context_annotations', 'entities', 'withheld', 'public_metrics', 'non_public_metrics',
    'organic_metrics', 'promoted_metrics', 'edit_controls', 'possibly_sensitive', 'lang', 'reply_settings', 'source', 'note_tweet',
    'community_id', 'article'],
  expansions: ['attachments.poll_ids', 'attachments.media_keys', 'attachments.media_source_tweet', 'author_id', 'referenced_tweets.id',
    'in_reply_to_user_id', 'edit_history_tweet_ids', 'geo.place_id', 'entities.mentions.username', 'referenced_tweets.id.author_id',
    'article.cover_media', 'article.media_entities', 'entities.note.mentions.username', 'referenced_tweets.id.attachments.media_keys'],
  'user.fields': ['id', 'name', 'username', 'created_at', 'protected', 'withheld', 'location', 'url', 'description', 'verified',
    'verified_type', 'confirmed_email', 'entities', 'profile_image_url', 'profile_banner_url', 'public_metrics', 'pinned_tweet_id',
    'connection_status', 'most_recent_tweet_id', 'affiliation', 'is_identity_verified', 'parody', 'receives_your_dm', 'subscription',
    'subscription_type', 'verified_followers_count'],
  'media.fields': ['media_key', 'type', 'duration_ms', 'height', 'width', 'url', 'preview_image_url', 'alt_text', 'non_public_metrics',
    'organic_metrics', 'promoted_metrics', 'public_metrics', 'variants'],
  'place.fields': ['full_name', 'id', 'contained_within', 'country', 'country_code', 'geo', 'name', 'place_type'],
  'poll.fields': ['id', 'options', 'duration_minutes', 'end_datetime', 'voting_status'],
};
const Q = 'Croydon -is:retweet';

async function step1() {
  console.log('== 1. app-only search: fetchLast and async iteration');
  const client = new TwitterApi(CREDS.bearer_token, SETTINGS).readOnly;
  const t0 = Date.now();
  const pg = await client.v2.search(Q, { max_results: 100, ...FIELDS });
  await pg.fetchLast(Infinity);
  const t1 = Date.now();
  const ids = pg.tweets.map((t) => t.id);
  check('search.fetchLast: reached the last page', !pg.meta.next_token && ids.length > 100,
    `${ids.length} posts, includes.users=${pg.includes.users.length}, includes.tweets=${pg.includes.tweets.length}, errors=${pg.errors.length}`);
  check('search: ids strictly decreasing', decreasing(ids));
  check('search: ids unique', new Set(ids).size === ids.length);
  const truth = (await sim('GET', '/_sim/truth?query=' + encodeURIComponent(Q))).ids;
  const cut = t0 - 30000; // X's default end_time = now - 30 s
  const exp = truth.filter((i) => tsMs(i) < cut), got = ids.filter((i) => tsMs(i) < cut);
  check('search: ids == /_sim/truth (older than the 30 s end_time lag)', JSON.stringify(exp) === JSON.stringify(got),
    `truth ${exp.length}, search ${got.length}`);
  check('search: nothing newer than now-30s', ids.every((i) => tsMs(i) < t1 - 30000 + 1000));
  const t = pg.tweets[0];
  const author = pg.includes.author(t);
  check('search: includes helper resolves author', author && author.id === t.author_id, `@${author && author.username}`);
  // async iteration (for await) over a fresh paginator
  const pg2 = await client.v2.search(Q, { max_results: 100, ...FIELDS });
  const ids2 = [];
  for await (const tw of pg2) ids2.push(tw.id);
  check('search: for-await iteration yields the same ids', JSON.stringify(ids2) === JSON.stringify(ids), `${ids2.length} posts`);
  // pagination_token alias, sent by hand through the library
  const p1 = await client.v2.get('tweets/search/recent', { query: Q, max_results: 10 });
  const a = await client.v2.get('tweets/search/recent', { query: Q, max_results: 10, next_token: p1.meta.next_token });
  const b = await client.v2.get('tweets/search/recent', { query: Q, max_results: 10, pagination_token: p1.meta.next_token });
  check('search: pagination_token == next_token page', JSON.stringify(a.data.map((x) => x.id)) === JSON.stringify(b.data.map((x) => x.id)));
}

async function step2() {
  console.log('== 2. user context: me, userTimeline, userMentionTimeline');
  const c = new TwitterApi(CREDS.user_access_token, SETTINGS);
  const me = await c.v2.me({ 'user.fields': FIELDS['user.fields'], expansions: ['pinned_tweet_id', 'most_recent_tweet_id'], 'tweet.fields': FIELDS['tweet.fields'] });
  check('v2.me', me.data.id === CREDS.council.id && me.data.username === CREDS.council.username, `${me.data.id} @${me.data.username}`);
  // NB: TimelineV2Paginator.fetchLast() always sends one more request; when the first page
  // was already the last (no meta.next_token) that request carries no pagination_token and
  // re-reads page 1 (library behaviour, same against api.x.com). So: iterate, or check .done.
  const tl = await c.v2.userTimeline(me.data.id, { max_results: 100, ...FIELDS });
  const ids = [];
  for await (const tw of tl) ids.push(tw.id);
  check('v2.userTimeline for-await (pagination_token)', ids.length > 0 && decreasing(ids) && new Set(ids).size === ids.length, `${ids.length} posts`);
  const mn = await c.v2.userMentionTimeline(me.data.id, { max_results: 5, ...FIELDS });
  if (!mn.done) await mn.fetchLast(Infinity);
  const mids = mn.tweets.map((x) => x.id);
  check('v2.userMentionTimeline fetchLast', mids.length > 0 && decreasing(mids), `${mids.length} posts`);
  return me.data.id;
}

async function step3(uid) {
  console.log('== 3. replies');
  const c = new TwitterApi(CREDS.user_access_token, SETTINGS);
  const stamp = Date.now();
  const [target] = (await sim('POST', '/_sim/posts', { text: '@yourcroydon bins missed', author: 'res_x' })).ids;
  const r = await c.v2.reply(`Thanks, we've passed this on (${stamp}).`, target);
  check('v2.reply to a post mentioning the council', r.data && r.data.id, JSON.stringify(r.data));
  const tl = await c.v2.userTimeline(uid, { max_results: 5, 'tweet.fields': ['referenced_tweets'] });
  check('reply visible with referenced_tweets replied_to', tl.tweets[0].id === r.data.id &&
    tl.tweets[0].referenced_tweets.some((x) => x.type === 'replied_to' && x.id === target));
  const [cold] = (await sim('POST', '/_sim/posts', { text: 'Croydon bins missed again', author: 'res_y' })).ids;
  try {
    await c.v2.reply(`Hello from the council (${stamp})`, cold);
    check('refused reply rejects', false, 'no error');
  } catch (e) {
    const want = 'You can only reply to or quote posts where you are mentioned or are the author.';
    check('refused reply: ApiResponseError code 403 with X detail', e instanceof ApiResponseError && e.code === 403 && e.data.detail === want,
      `${e.message} | data=${JSON.stringify(e.data)}`);
  }
  try {
    await new TwitterApi(CREDS.bearer_token, SETTINGS).v2.tweet('x');
    check('app-only tweet refused', false, 'no error');
  } catch (e) {
    check('app-only tweet: 403 Unsupported Authentication', e.code === 403 && e.data.title === 'Unsupported Authentication', e.message);
  }
}

async function step4() {
  console.log('== 4a. app-only bearer via appLogin (client_credentials on /oauth2/token)');
  try {
    const bearerClient = await new TwitterApi({ appKey: CREDS.api_key, appSecret: CREDS.api_secret }, SETTINGS).appLogin();
    const r = await bearerClient.v2.search('Croydon', { max_results: 10 });
    check('appLogin bearer works on search', r.tweets.length === 10);
  } catch (e) {
    check('appLogin', false, `${e.message} | data=${JSON.stringify(e.data)}`);
  }
  console.log('== 4. OAuth 2.0 PKCE (confidential client) + refresh');
  await sim('POST', '/_sim/settings', { auto_approve: true });
  try {
    const app = new TwitterApi({ clientId: CREDS.client_id, clientSecret: CREDS.client_secret }, SETTINGS);
    const redirectUri = 'http://127.0.0.1:8765/callback';
    const link = app.generateOAuth2AuthLink(redirectUri, { scope: ['tweet.read', 'tweet.write', 'users.read', 'offline.access'] });
    check('auth link is x.com/i/oauth2/authorize (s256)', link.url.startsWith('https://x.com/i/oauth2/authorize?'), link.url.slice(0, 60));
    const r = await fetch(rewriteUrl(new URL(link.url)), { redirect: 'manual' });
    const loc = r.headers.get('location') || '';
    const cb = new URL(loc, 'http://x');
    check('authorize redirects to callback with code+state', [302, 303, 307].includes(r.status) && loc.startsWith(redirectUri) &&
      cb.searchParams.get('state') === link.state && cb.searchParams.get('code'), `${r.status} ${loc.slice(0, 80)}`);
    let login;
    try {
      login = await app.loginWithOAuth2({ code: cb.searchParams.get('code'), codeVerifier: link.codeVerifier, redirectUri });
      check('loginWithOAuth2 (code exchange)', login.accessToken && login.refreshToken, `scope=${login.scope} expiresIn=${login.expiresIn}`);
    } catch (e) {
      check('loginWithOAuth2 (code exchange)', false, `${e.message} | data=${JSON.stringify(e.data)}`);
      return;
    }
    const me = await login.client.v2.me();
    check('logged-in client works (v2.me)', me.data.username === CREDS.council.username);
    let ref;
    try {
      ref = await app.refreshOAuth2Token(login.refreshToken);
      check('refreshOAuth2Token rotates', ref.accessToken && ref.refreshToken && ref.refreshToken !== login.refreshToken);
    } catch (e) {
      check('refreshOAuth2Token', false, `${e.message} | data=${JSON.stringify(e.data)}`);
      return;
    }
    const me2 = await ref.client.v2.me();
    check('refreshed client works', me2.data.username === CREDS.council.username);
    try {
      await app.refreshOAuth2Token(login.refreshToken);
      check('old refresh token refused', false, 'accepted');
    } catch (e) {
      check('old refresh token refused (400 invalid_request)', e.code === 400 && e.data && e.data.error === 'invalid_request',
        `${e.message} | data=${JSON.stringify(e.data)}`);
    }
    try {
      const rv = await app.revokeOAuth2Token(ref.accessToken, 'access_token');
      check('revokeOAuth2Token', rv && rv.revoked === true, JSON.stringify(rv));
      try { await ref.client.v2.me(); check('revoked token refused', false); } catch (e) { check('revoked token refused (401)', e.code === 401, e.message); }
    } catch (e) {
      check('revokeOAuth2Token', false, `${e.message} | data=${JSON.stringify(e.data)}`);
    }
  } finally {
    await sim('POST', '/_sim/settings', { auto_approve: false });
  }
}

async function step5() {
  console.log('== 5. rate limits');
  await sim('POST', '/_sim/settings', { limits: { search: { per_app: 1, per_user: 1 } } });
  try {
    const c = new TwitterApi(CREDS.bearer_token, SETTINGS);
    const first = await c.v2.search('Croydon', { max_results: 10 });
    check('rateLimit parsed on success', first.rateLimit.limit === 1 && first.rateLimit.remaining === 0, JSON.stringify(first.rateLimit));
    try {
      await c.v2.search('Croydon', { max_results: 10 });
      check('second search rejects with 429', false, 'no error');
    } catch (e) {
      const now = Date.now() / 1000;
      check('429: ApiResponseError.rateLimitError and rateLimit.reset from x-rate-limit-reset',
        e.rateLimitError && e.code === 429 && e.rateLimit && e.rateLimit.remaining === 0 && e.rateLimit.reset > now && e.rateLimit.reset - now <= 900,
        `${e.message} rateLimit=${JSON.stringify(e.rateLimit)}`);
    }
    // deprecated built-in rate-limit cache (reads the same headers)
    check('getLastRateLimitStatus for the endpoint', c.v2.getLastRateLimitStatus('tweets/search/recent') &&
      c.v2.getLastRateLimitStatus('tweets/search/recent').remaining === 0);
  } finally {
    await sim('POST', '/_sim/settings', { limits: {} });
  }
}

async function step6() {
  console.log('== 6. extras: public client PKCE, 400 mapping');
  await sim('POST', '/_sim/settings', { auto_approve: true });
  try {
    const app = new TwitterApi({ clientId: CREDS.public_client_id }, SETTINGS);
    const redirectUri = 'http://127.0.0.1:8765/callback';
    const link = app.generateOAuth2AuthLink(redirectUri, { scope: ['tweet.read', 'users.read', 'offline.access'] });
    const r = await fetch(rewriteUrl(new URL(link.url)), { redirect: 'manual' });
    const cb = new URL(r.headers.get('location'));
    const login = await app.loginWithOAuth2({ code: cb.searchParams.get('code'), codeVerifier: link.codeVerifier, redirectUri });
    check('public client: loginWithOAuth2 (client_id in body, no Basic)', login.accessToken && login.refreshToken);
    const ref = await app.refreshOAuth2Token(login.refreshToken);
    check('public client: refreshOAuth2Token', ref.accessToken && ref.refreshToken !== login.refreshToken);
  } catch (e) {
    check('public client flow', false, `${e.message} | data=${JSON.stringify(e.data)}`);
  } finally {
    await sim('POST', '/_sim/settings', { auto_approve: false });
  }
  try {
    await new TwitterApi(CREDS.bearer_token, SETTINGS).v2.search('Croydon', { max_results: 5 });
    check('max_results=5 rejects', false, 'no error');
  } catch (e) {
    check('max_results=5: 400 ApiResponseError with X invalid-request', e.code === 400 && e.data.title === 'Invalid Request', e.message);
  }
}

(async () => {
  const steps = process.argv.slice(2).length ? process.argv.slice(2) : ['1', '2', '3', '4', '5', '6'];
  const uid = CREDS.council.id;
  for (const s of steps) {
    try {
      await ({ 1: step1, 2: step2, 3: () => step3(uid), 4: step4, 5: step5, 6: step6 })[s]();
    } catch (e) {
      console.error(e);
      check(`step ${s} ran without an unexpected error`, false, `${e.message} ${e.data ? JSON.stringify(e.data) : ''}`);
    }
  }
  const failed = results.filter((r) => !r[1]).length;
  const v = require('twitter-api-v2/package.json').version;
  console.log(`twitter-api-v2 ${v}: ${results.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})();
