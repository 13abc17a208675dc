#!/usr/bin/env bash
# Benchmark `dos verify` against the Python reference on a generated
# 100k-commit repository (built with `git fast-import`), in the same run.
# Usage: host/benches/verify_100k.sh OURS_BIN REF_BIN [RUNS]
set -euo pipefail
ours="$1"; ref="$2"; runs="${3:-5}"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
git init -q -b main "$work/repo"
python3 - > "$work/stream.fi" <<'PY'
import sys
w = sys.stdout.write
N = 100000
for i in range(1, N + 1):
    if i == N - 100:
        msg = "AUTH1: ship the login endpoint\n"
    elif i % 997 == 0:
        msg = f"v1.{i}.0: release bundle FEAT{i}\n\nIncludes FEAT{i-1} and more.\n"
    else:
        msg = f"FEAT{i}: work item {i}\n"
    data = f"{i}\n"
    w(f"commit refs/heads/main\nmark :{i}\ncommitter Bench <b@example.com> {1700000000 + i} +0000\n")
    w(f"data {len(msg.encode())}\n{msg}")
    if i > 1:
        w(f"from :{i-1}\n")
    w(f"M 644 inline f{i % 50}.txt\ndata {len(data)}\n{data}\n")
PY
git -C "$work/repo" fast-import --quiet < "$work/stream.fi"
echo "commits: $(git -C "$work/repo" rev-list --count HEAD)"
best() { # best-of-N wall seconds for: best BIN ARGS...
  local b=999
  for _ in $(seq "$runs"); do
    local s e
    s=$(date +%s.%N); (cd "$work/repo" && "$@" >/dev/null 2>&1 || true); e=$(date +%s.%N)
    b=$(python3 -c "print(min($b, $e - $s))")
  done
  echo "$b"
}
printf '%-22s %10s %10s %8s\n' query ours_s ref_s ratio
for q in "AUTH AUTH1" "AUTH AUTH2" "FEAT FEAT99990" "FEAT FEAT99004"; do
  o=$(best "$ours" verify $q); r=$(best "$ref" verify $q)
  [ "$("$ours" verify --workspace "$work/repo" $q)" = "$("$ref" verify --workspace "$work/repo" $q)" ] || echo "VERDICTS DIFFER for $q"
  printf '%-22s %10.3f %10.3f %7.1fx\n' "$q" "$o" "$r" "$(python3 -c "print($r / $o)")"
done
