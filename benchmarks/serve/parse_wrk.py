"""wrk --latency output on stdin -> one JSON line: requests/s, p50/p99 ms, errors, RSS (env RSS, KiB)."""
import json, os, re, sys

text = sys.stdin.read()


def ms(value, unit):
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


percentiles = {p: ms(v, u) for p, v, u in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)}
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
requests = int(re.search(r"(\d+) requests in", text).group(1))
errors = 0
for kind in re.findall(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text):
    errors += sum(int(k) for k in kind)
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
errors += int(non2xx.group(1)) if non2xx else 0
print(json.dumps({"requests_per_second": rate, "requests": requests, "p50_ms": percentiles.get("50"),
                  "p99_ms": percentiles.get("99"), "errors": errors, "rss_kib": int(os.environ.get("RSS", "0") or 0)}))
