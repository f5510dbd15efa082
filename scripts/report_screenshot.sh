#!/usr/bin/env bash
# Renders a `saestore features` report page in headless Chromium (Debian's `chromium`):
# checks that its script ran to the end (body data-rendered="ok"), reports console errors,
# and writes a PNG screenshot.
#   scripts/report_screenshot.sh REPORT_DIR [FEATURE_ID|index] [OUT.png] [WIDTHxHEIGHT]
# Skips (exit 0) when chromium is not installed.
set -euo pipefail
dir=${1:?usage: report_screenshot.sh REPORT_DIR [FEATURE_ID|index] [OUT.png] [WIDTHxHEIGHT]}
which=${2:-index}
png=${3:-report-$which.png}
size=${4:-1200x900}
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then echo "skip: chromium is not installed (apt-get install -y chromium)"; exit 0; fi
page="$dir/index.html"
[ "$which" = index ] || page="$dir/features/$which.html"
[ -f "$page" ] || { echo "no page $page" >&2; exit 1; }
url="file://$(cd "$(dirname "$page")" && pwd)/$(basename "$page")"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
flags=(--headless --disable-gpu --no-sandbox --no-first-run --user-data-dir="$profile" --hide-scrollbars --virtual-time-budget=5000)
dom=$("$chromium" "${flags[@]}" --enable-logging=stderr --v=0 --dump-dom "$url" 2>"$profile/log" || true)
if grep -q "Uncaught" "$profile/log"; then echo "JavaScript errors:" >&2; grep "Uncaught" "$profile/log" >&2; exit 1; fi
if ! grep -q 'data-rendered="ok"' <<<"$dom"; then echo "the page did not finish drawing ($url)" >&2; exit 1; fi
"$chromium" "${flags[@]}" --window-size="${size/x/,}" --screenshot="$png" "$url" 2>/dev/null
echo "ok: $url drew without errors; screenshot $png"
