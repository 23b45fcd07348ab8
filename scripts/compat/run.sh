#!/usr/bin/env bash
# Points two widely used X client libraries, unmodified but for the base URL, at
# `placewatch sim`: Python's tweepy and Node's twitter-api-v2. They search with
# pagination, read timelines, post replies, log in with OAuth 2.0 PKCE, refresh,
# revoke and hit rate limits. Traffic goes through a recording proxy.
#
# usage: scripts/compat/run.sh   (needs python3 with venv, node and npm; installs
#        tweepy and twitter-api-v2 into target/compat on first use)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work="$root/target/compat"
mkdir -p "$work"
cd "$root"
cargo build --release --quiet
bin="$root/target/release/placewatch"
if [ ! -x "$work/venv/bin/python" ]; then
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install --quiet -r "$here/requirements.txt"
fi
if [ ! -d "$work/node/node_modules/twitter-api-v2" ]; then
  mkdir -p "$work/node"
  cp "$here/package.json" "$work/node/"
  (cd "$work/node" && npm install --silent --no-audit --no-fund)
fi
cp "$here/nta2_compat.js" "$work/node/"
export CREDS="$work/creds.json" SIM="http://127.0.0.1:7077" API_BASE="http://127.0.0.1:7078"
rm -f "$CREDS"; : > "$work/wire.jsonl"
"$bin" sim --listen 127.0.0.1:7077 --credentials-out "$CREDS" --backlog-days 3 > "$work/sim.log" 2>&1 &
sim_pid=$!
"$work/venv/bin/python" "$here/recorder.py" 7078 7077 "$work/wire.jsonl" > "$work/recorder.log" 2>&1 &
rec_pid=$!
trap 'kill $sim_pid $rec_pid 2>/dev/null' EXIT
for _ in $(seq 100); do [ -s "$CREDS" ] && curl -sf localhost:7078/_sim/stats >/dev/null && break; sleep 0.2; done
rc=0
timeout 300 "$work/venv/bin/python" "$here/tweepy_compat.py" || rc=1
(cd "$work/node" && timeout 300 node nta2_compat.js) || rc=1
echo "wire log: $work/wire.jsonl ($(wc -l < "$work/wire.jsonl") exchanges)"
exit $rc
