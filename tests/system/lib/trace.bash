# SPDX-License-Identifier: MIT
# Comparing traces of two runs (needs $EMU, python3).
#
# trace_normalized STATE [--keep-peer-names]: the state's decoded trace, per recorder and
# connection, without times, pids and nonces (what differs between two runs of the same
# actions), and without the name of a connecting peer unless asked (read from
# /proc/PID/comm: a short-lived peer may be gone by then).  Two runs of the same actions
# print the same text.
trace_normalized() {
	"$EMU" trace --state "$1" --json | KEEP_NAMES=${2:-} python3 -c '
import json, os, sys, collections
keep_names = os.environ.get("KEEP_NAMES") == "--keep-peer-names"
streams = collections.defaultdict(list)
for l in sys.stdin:
    r = json.loads(l)
    key = (r["recorder"], r["conn"], "mm" if r["kind"].startswith("MM_") else "msg")
    for it in r["items"]:
        it.pop("nonce", None)
        if it.get("msg") == "CONNECT" and not keep_names:
            it.pop("comm", None)
            it["summary"] = "CONNECT"
        streams[key].append(json.dumps(it, sort_keys=True))
for k in sorted(streams):
    print(k)
    print("\n".join(streams[k]))
'
}
