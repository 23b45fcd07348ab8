#!/usr/bin/env python3
"""tweepy (unmodified, from PyPI) against `placewatch sim`.

Redirection (script only): tweepy.Client builds every URL as
"https://api.twitter.com" + route and sends it through `client.session`
(a requests.Session); OAuth2UserHandler *is* a requests_oauthlib.OAuth2Session
whose token URL is hard-coded "https://api.twitter.com/2/oauth2/token". Both get
a requests transport adapter (RewriteAdapter) mounted on "https://" that swaps
the scheme+host of api.twitter.com / api.x.com / twitter.com / x.com for
API_BASE just before the request goes on the wire. The authorize URL string
from get_authorization_url() is rewritten the same way before we GET it.

env: API_BASE (default http://127.0.0.1:7078, the recording proxy),
     SIM (default http://127.0.0.1:7077, control routes), CREDS (creds.json).
"""
import json, os, sys, time, urllib.parse
import requests
from requests.adapters import HTTPAdapter
import tweepy

# oauthlib refuses http:// callback URLs (the 127.0.0.1 redirect_uri) unless told;
# this is a library rule, real users of loopback callbacks set it too.
os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")

API_BASE = os.environ.get("API_BASE", "http://127.0.0.1:7078")
SIM = os.environ.get("SIM", "http://127.0.0.1:7077")
CREDS = json.load(open(os.environ["CREDS"]))
HOSTS = ("https://api.twitter.com", "https://api.x.com", "https://twitter.com", "https://x.com")

def rewrite(url):
    for h in HOSTS:
        if url.startswith(h + "/"):
            return API_BASE + url[len(h):]
    return url

class RewriteAdapter(HTTPAdapter):
    def send(self, request, **kw):
        request.url = rewrite(request.url)
        return super().send(request, **kw)

def redirect(session):
    session.mount("https://", RewriteAdapter())
    return session

RESULTS = []
def check(name, ok, detail=""):
    RESULTS.append((name, bool(ok), detail))
    print(("PASS " if ok else "FAIL ") + name + (f" -- {detail}" if detail else ""), flush=True)

def ts_ms(i):
    return (int(i) >> 22) + 1288834974657

ALL_EXPANSIONS = ["article.cover_media", "article.media_entities", "attachments.media_keys",
    "attachments.media_source_tweet", "attachments.poll_ids", "author_id", "edit_history_tweet_ids",
    "entities.mentions.username", "geo.place_id", "in_reply_to_user_id", "entities.note.mentions.username",
    "referenced_tweets.id", "referenced_tweets.id.attachments.media_keys", "referenced_tweets.id.author_id"]
# tweepy exposes no expansion constant; these are the documented v2 search expansions
# (tweepy's own docs list the same set bar the article/note ones added later).
FIELDS = dict(tweet_fields=tweepy.TWEET_FIELDS, expansions=ALL_EXPANSIONS, user_fields=tweepy.USER_FIELDS,
              media_fields=tweepy.MEDIA_FIELDS, place_fields=tweepy.PLACE_FIELDS, poll_fields=tweepy.POLL_FIELDS)

def app_client(**kw):
    c = tweepy.Client(bearer_token=CREDS["bearer_token"], **kw)
    redirect(c.session)
    return c

def user_client(token=None, **kw):
    c = tweepy.Client(bearer_token=token or CREDS["user_access_token"], **kw)
    redirect(c.session)
    return c

def settings(body):
    r = requests.post(SIM + "/_sim/settings", json=body); r.raise_for_status()

def step1_search():
    print("== 1. app-only search with Paginator", flush=True)
    q = "Croydon -is:retweet"
    client = app_client()
    t0 = int(time.time() * 1000)
    ids, pages, users_seen, n_includes = [], 0, 0, 0
    for resp in tweepy.Paginator(client.search_recent_tweets, q, max_results=100, **FIELDS):
        pages += 1
        ids += [t.id for t in (resp.data or [])]
        users_seen += len(resp.includes.get("users", []))
        n_includes += len(resp.includes.get("tweets", []))
        if resp.errors:
            check(f"page {pages} has no partial errors", False, json.dumps(resp.errors)[:300])
    t1 = int(time.time() * 1000)
    check("search: paginated to the last page", pages >= 2, f"{pages} pages, {len(ids)} posts, "
          f"{users_seen} included users, {n_includes} included tweets")
    check("search: ids strictly decreasing", all(a > b for a, b in zip(ids, ids[1:])))
    check("search: ids unique", len(set(ids)) == len(ids))
    truth = requests.get(SIM + "/_sim/truth", params={"query": q}).json()["ids"]
    truth = [int(i) for i in truth]
    # X's default end_time is now-30s: posts newer than that at request time are legitimately absent.
    cut_lo, cut_hi = t0 - 30_000, t1 - 30_000 + 1000
    exp = [i for i in truth if ts_ms(i) < cut_lo]
    got = [i for i in ids if ts_ms(i) < cut_lo]
    check("search: ids == /_sim/truth (posts older than the 30 s end_time lag)", got == exp,
          f"truth {len(exp)}, search {len(got)}; missing {sorted(set(exp)-set(got))[:5]} extra {sorted(set(got)-set(exp))[:5]}")
    check("search: nothing newer than now-30s", all(ts_ms(i) < cut_hi for i in ids))
    # typed objects: every tweet has created_at parsed, author expanded
    first = client.search_recent_tweets(q, max_results=10, **FIELDS)
    t = first.data[0]
    check("search: tweepy.Tweet parses created_at/author/edit_history",
          t.created_at is not None and t.author_id is not None and t.edit_history_tweet_ids,
          f"id={t.id} created_at={t.created_at!r} author_id={t.author_id}")
    check("search: includes.users are tweepy.User", all(isinstance(u, tweepy.User) for u in first.includes.get("users", [])))
    # both pagination parameter names
    nt = first.meta["next_token"]
    r2 = client.search_recent_tweets(q, max_results=10, next_token=nt)
    raw = client.session.get("https://api.twitter.com/2/tweets/search/recent",
                             params={"query": q, "max_results": 10, "pagination_token": nt},
                             headers={"Authorization": "Bearer " + CREDS["bearer_token"]}).json()
    check("search: pagination_token == next_token page",
          [x.id for x in r2.data] == [int(x["id"]) for x in raw["data"]])

def step2_user():
    print("== 2. user context: users/me, timeline, mentions", flush=True)
    c = user_client()
    me = c.get_me(user_auth=False, user_fields=tweepy.USER_FIELDS, expansions=["pinned_tweet_id"],
                  tweet_fields=tweepy.TWEET_FIELDS)
    check("users/me", me.data.id == int(CREDS["council"]["id"]) and me.data.username == CREDS["council"]["username"],
          f"{me.data.id} @{me.data.username} created_at={me.data.created_at}")
    uid = me.data.id
    tl = list(tweepy.Paginator(c.get_users_tweets, uid, user_auth=False, max_results=100, **FIELDS).flatten())
    ids = [t.id for t in tl]
    check("users/:id/tweets via Paginator (pagination_token)", all(a > b for a, b in zip(ids, ids[1:])) and len(set(ids)) == len(ids),
          f"{len(ids)} posts")
    mn_pages = list(tweepy.Paginator(c.get_users_mentions, uid, user_auth=False, max_results=100, **FIELDS))
    mids = [t.id for p in mn_pages for t in (p.data or [])]
    check("users/:id/mentions via Paginator", len(mids) > 0 and all(a > b for a, b in zip(mids, mids[1:])),
          f"{len(mids)} posts in {len(mn_pages)} pages")
    return uid

def step3_reply(uid):
    print("== 3. replies", flush=True)
    c = user_client()
    stamp = int(time.time())
    target = requests.post(SIM + "/_sim/posts", json={"text": "@yourcroydon bins missed", "author": "res_x"}).json()["ids"][0]
    r = c.create_tweet(text=f"Sorry about that, we've logged it ({stamp}).", in_reply_to_tweet_id=target, user_auth=False)
    check("reply to a post mentioning the council: 201 + data.id", r.data and r.data.get("id"), json.dumps(r.data))
    # the reply shows in the council's own timeline with referenced_tweets
    tl = c.get_users_tweets(uid, user_auth=False, max_results=5, tweet_fields=["referenced_tweets", "in_reply_to_user_id"])
    top = tl.data[0]
    check("reply visible in users/:id/tweets with replied_to",
          str(top.id) == r.data["id"] and any(rt.type == "replied_to" and str(rt.id) == str(target) for rt in top.referenced_tweets or []))
    cold = requests.post(SIM + "/_sim/posts", json={"text": "Croydon bins missed again", "author": "res_y"}).json()["ids"][0]
    try:
        c.create_tweet(text=f"Hello from the council ({stamp})", in_reply_to_tweet_id=cold, user_auth=False)
        check("refused reply raises tweepy.Forbidden", False, "no exception")
    except tweepy.Forbidden as e:
        want = "You can only reply to or quote posts where you are mentioned or are the author."
        check("refused reply raises tweepy.Forbidden with X's detail", want in str(e), repr(str(e)))
    # app-only token on POST /2/tweets -> Forbidden 'Unsupported Authentication'
    try:
        app_client().create_tweet(text="x", user_auth=False)
        check("app-only create_tweet refused", False, "no exception")
    except tweepy.Forbidden as e:
        check("app-only create_tweet raises Forbidden (Unsupported Authentication)", "Application-Only is forbidden" in str(e), str(e)[:120])

def step4_oauth():
    print("== 4. OAuth 2.0 PKCE (confidential client) + refresh", flush=True)
    settings({"auto_approve": True})
    h = tweepy.OAuth2UserHandler(client_id=CREDS["client_id"], client_secret=CREDS["client_secret"],
                                 redirect_uri="http://127.0.0.1:8765/callback",
                                 scope=["tweet.read", "tweet.write", "users.read", "offline.access"])
    redirect(h)
    url = h.get_authorization_url()
    check("authorize URL is twitter.com/i/oauth2/authorize with S256", url.startswith("https://twitter.com/i/oauth2/authorize?") and "code_challenge_method=S256" in url)
    r = requests.get(rewrite(url), allow_redirects=False)
    loc = r.headers.get("location", "")
    qs = urllib.parse.parse_qs(urllib.parse.urlparse(loc).query)
    check("authorize (auto-approve) redirects to the callback with code+state",
          r.status_code in (302, 303, 307) and loc.startswith("http://127.0.0.1:8765/callback") and "code" in qs and qs.get("state") == [h._state],
          f"{r.status_code} {loc[:90]}")
    tok = h.fetch_token(loc)
    check("fetch_token (code exchange) returns access+refresh", tok.get("access_token") and tok.get("refresh_token"),
          f"token_type={tok.get('token_type')} expires_in={tok.get('expires_in')} scope={tok.get('scope')}")
    me = user_client(tok["access_token"]).get_me(user_auth=False)
    check("new access token works on users/me", me.data.username == CREDS["council"]["username"])
    old_refresh = tok["refresh_token"]
    new = h.refresh_token("https://api.twitter.com/2/oauth2/token", refresh_token=old_refresh)
    check("refresh_token rotates", new.get("access_token") and new.get("refresh_token") and new["refresh_token"] != old_refresh)
    me = user_client(new["access_token"]).get_me(user_auth=False)
    check("refreshed access token works", me.data.username == CREDS["council"]["username"])
    try:
        h.refresh_token("https://api.twitter.com/2/oauth2/token", refresh_token=old_refresh)
        check("old refresh token refused", False, "accepted")
    except Exception as e:  # oauthlib raises InvalidRequestError / InvalidGrantError etc.
        check("old refresh token refused", True, f"{type(e).__name__}: {e}")
    # refresh params in the query string (some clients do this) with Basic auth
    s = redirect(requests.Session())
    r = s.post("https://api.twitter.com/2/oauth2/token", params={"grant_type": "refresh_token", "refresh_token": new["refresh_token"]},
               auth=(CREDS["client_id"], CREDS["client_secret"]))
    check("refresh with parameters in the query string", r.status_code == 200 and "access_token" in r.json(), f"{r.status_code} {r.text[:150]}")
    settings({"auto_approve": False})

def step5_ratelimit():
    print("== 5. rate limits", flush=True)
    settings({"limits": {"search": {"per_app": 1, "per_user": 1}}})
    try:
        c = app_client()
        c.search_recent_tweets("Croydon", max_results=10)
        try:
            c.search_recent_tweets("Croydon", max_results=10)
            check("second search raises TooManyRequests", False, "no exception")
        except tweepy.TooManyRequests as e:
            h = e.response.headers
            reset = int(h.get("x-rate-limit-reset", 0))
            check("TooManyRequests carries x-rate-limit-reset (epoch s, within 15 min)",
                  0 < reset - time.time() <= 900 and h.get("x-rate-limit-remaining") == "0",
                  f"limit={h.get('x-rate-limit-limit')} remaining={h.get('x-rate-limit-remaining')} reset={reset} (in {reset-int(time.time())}s); body={e.response.text[:120]}")
            check("tweepy reads reset_time", getattr(e, "reset_time", reset) == reset, f"reset_time={getattr(e, 'reset_time', 'n/a')}")
    finally:
        settings({"limits": {}})
    # wait_on_rate_limit: a 429 whose reset is 2 s ahead -> tweepy sleeps and retries
    requests.post(SIM + "/_sim/faults", json={"kind": "rate_limit", "count": 1, "reset_secs": 2, "route": "/2/tweets/search"}).raise_for_status()
    t = time.time()
    r = app_client(wait_on_rate_limit=True).search_recent_tweets("Croydon", max_results=10)
    took = time.time() - t
    check("wait_on_rate_limit sleeps until x-rate-limit-reset then succeeds", r.data and 1.0 <= took < 10, f"took {took:.1f}s")
    requests.delete(SIM + "/_sim/faults")

def step6_extras():
    print("== 6. extras: public client PKCE, 400 mapping", flush=True)
    settings({"auto_approve": True})
    try:
        h = tweepy.OAuth2UserHandler(client_id=CREDS["public_client_id"], redirect_uri="http://127.0.0.1:8765/callback",
                                     scope=["tweet.read", "users.read", "offline.access"])
        redirect(h)
        loc = requests.get(rewrite(h.get_authorization_url()), allow_redirects=False).headers.get("location", "")
        tok = h.fetch_token(loc)
        check("public client: fetch_token with client_id in the body, no secret", tok.get("access_token") and tok.get("refresh_token"))
        new = h.refresh_token("https://api.twitter.com/2/oauth2/token", refresh_token=tok["refresh_token"], client_id=CREDS["public_client_id"])
        check("public client: refresh_token with client_id", new.get("access_token") and new["refresh_token"] != tok["refresh_token"])
    finally:
        settings({"auto_approve": False})
    try:
        app_client().search_recent_tweets("Croydon", max_results=5)
        check("max_results=5 raises BadRequest", False, "no exception")
    except tweepy.BadRequest as e:
        check("max_results=5 raises BadRequest with X's message", "max_results" in str(e), str(e).replace("\n", " | "))

if __name__ == "__main__":
    steps = sys.argv[1:] or ["1", "2", "3", "4", "5", "6"]
    uid = int(CREDS["council"]["id"])
    for s in steps:
        try:
            {"1": step1_search, "2": step2_user, "3": lambda: step3_reply(uid), "4": step4_oauth, "5": step5_ratelimit, "6": step6_extras}[s]()
        except Exception as e:
            import traceback; traceback.print_exc()
            check(f"step {s} ran without an unexpected exception", False, f"{type(e).__name__}: {e}")
    failed = sum(1 for _, ok, _ in RESULTS if not ok)
    print(f"tweepy {tweepy.__version__}: {len(RESULTS)-failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
