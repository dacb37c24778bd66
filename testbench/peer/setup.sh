#!/usr/bin/env bash
# Sets up EdgeLM's llama.cpp peer in testbench/peer (see README.md). Idempotent; when everything
# is already in place it only checks stamps and returns in well under a second.
#
#   1. node_modules/: node-llama-cpp (pinned by package.json + package-lock.json) and its prebuilt
#      platform package (@node-llama-cpp/linux-x64 or linux-arm64, the version and integrity
#      recorded in package-lock.json). Optional dependencies (CUDA, Vulkan: ~600 MB) are omitted
#      and install scripts are not run (nothing is compiled by npm).
#   2. build/llama.cpp/: llama.cpp's source, extracted from the git bundle that node-llama-cpp
#      ships (node_modules/node-llama-cpp/llama/gitRelease.bundle): the exact source of its
#      prebuilt binaries. Needed for ggml_quants_ref and for gguf-py.
#   3. build/quants/ggml_quants_ref: our C harness compiled against llama.cpp's own quantizers.
#
# Needs: node >= 20 with npm, git, gcc, g++, make; network access to the npm registry on the
# first run. On failure it prints one line (what failed, the key error, the log) and exits 1.
set -Eeuo pipefail

PEER="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD="$PEER/build"
LOG="$BUILD/setup.log"
START_NS=$(date +%s%N)

mkdir -p "$BUILD"
# Serialise concurrent runs (CI and a developer, two test JVMs, ...) before touching the log.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$BUILD/.setup.lock"
  flock 9
fi
: >"$LOG"

fail() {
  # One clear line: what failed, the most telling line of the failed step's output, the log.
  local what="$1" detail=""
  detail="$(awk '/^\+ /{n=0; delete l; next} {l[++n]=$0} END{for(i=1;i<=n;i++) print l[i]}' "$LOG" 2>/dev/null |
    grep -avE 'A complete log|^npm error +at |Unknown user config|^npm error (code|syscall|errno)|^npm error *[{}]?$|^ *\(' |
    grep -aE -m 1 'error|Error|ERR!|fatal|FAILED|No such file|not found|denied|EINTEGRITY|E404|ETARGET' |
    tr -s ' \t' ' ' | cut -c1-240 || true)"
  echo "peer setup: FAILED: ${what}${detail:+ -- ${detail}} (log: ${LOG})" >&2
  exit 1
}
trap 'fail "unexpected error at line $LINENO of setup.sh"' ERR

run() {
  # run WHAT CMD... : CMD's output goes to the log; on failure, fail WHAT.
  local what="$1" t0
  shift
  t0=$(date +%s%N)
  printf '+ %s\n' "$(printf '%s ' "$@" | tr -s '\n \t' ' ' | cut -c1-400)" >>"$LOG"
  "$@" >>"$LOG" 2>&1 || fail "$what"
  printf '  (%d ms)\n' $((($(date +%s%N) - t0) / 1000000)) >>"$LOG"
}

need() {
  command -v "$1" >/dev/null 2>&1 || fail "'$1' is not installed ($2)"
}

sha() { cat "$@" | sha256sum | cut -c1-64; }

# ---- 0. platform and tools ---------------------------------------------------------------
[[ "$(uname -s)" == Linux ]] || fail "the peer supports Linux only (this is $(uname -s))"
case "$(uname -m)" in
  x86_64 | amd64) PLATFORM=linux-x64 ;;
  aarch64 | arm64) PLATFORM=linux-arm64 ;;
  *) fail "no prebuilt node-llama-cpp package for CPU '$(uname -m)' (need x86_64 or aarch64)" ;;
esac
need node "Node.js 20 or newer"
need npm "npm, normally installed with Node.js"
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
((NODE_MAJOR >= 20)) || fail "node-llama-cpp 3.22 needs Node.js >= 20, found $(node --version)"
need git "to extract llama.cpp's source from node-llama-cpp's git bundle"
need gcc "to compile ggml_quants_ref"
need g++ "to compile ggml_quants_ref (ggml-threading.cpp)"
need make "to compile ggml_quants_ref"

cd "$PEER"
did=()

# ---- 1. npm packages ---------------------------------------------------------------------
# `npm ci` cannot be used: node-llama-cpp lists optional platform packages (mac, win,
# linux-riscv64) that the registry reachable here does not have, so npm never records them in
# the lock and `npm ci` then rejects the lock as out of sync. `npm install --no-save` installs
# from the lock without rewriting it and checks each tarball against the lock's integrity;
# the platform package is named on the command line (npm re-resolves named packages), so its
# integrity is compared with the lock's after the install.
PLATFORM_PKG="@node-llama-cpp/$PLATFORM"
read -r NLC_VERSION PLATFORM_VERSION < <(node -e '
  const lock = require(process.argv[1]).packages;
  const nlc = lock["node_modules/node-llama-cpp"], plat = lock["node_modules/" + process.argv[2]];
  if (!nlc || !plat) { console.log("? ?"); process.exit(0); }
  console.log(nlc.version + " " + plat.version);' "$PEER/package-lock.json" "$PLATFORM_PKG") ||
  fail "cannot read package-lock.json"
[[ "$NLC_VERSION" != "?" && "$PLATFORM_VERSION" != "?" ]] ||
  fail "package-lock.json has no entry for node-llama-cpp or $PLATFORM_PKG"

NPM_STAMP_FILE="$PEER/node_modules/.edgelm-peer-stamp"
NPM_STAMP="$(sha "$PEER/package.json" "$PEER/package-lock.json") $PLATFORM node$NODE_MAJOR"
if [[ -f "$NPM_STAMP_FILE" && "$(cat "$NPM_STAMP_FILE")" == "$NPM_STAMP" &&
  -f "$PEER/node_modules/node-llama-cpp/package.json" &&
  -f "$PEER/node_modules/$PLATFORM_PKG/package.json" ]]; then
  :
else
  rm -f "$NPM_STAMP_FILE"
  run "npm install of node-llama-cpp $NLC_VERSION + $PLATFORM_PKG $PLATFORM_VERSION" \
    npm install --no-save --prefer-offline --ignore-scripts --omit=optional --no-audit --no-fund --loglevel=error \
    "$PLATFORM_PKG@$PLATFORM_VERSION"
  run "installed packages differ from package-lock.json" node -e '
    const want = require(process.argv[1]).packages;
    const got = require(process.argv[2]).packages;
    let bad = 0;
    for (const [k, v] of Object.entries(got)) {
      const w = want[k];
      if (!w || w.version !== v.version || (w.integrity && v.integrity !== w.integrity)) {
        console.error(`error: ${k} ${v.version} ${v.integrity} is not the locked ${w ? w.version + " " + w.integrity : "(absent)"}`);
        bad++;
      }
    }
    if (!got["node_modules/" + process.argv[3]]) { console.error("error: " + process.argv[3] + " not installed"); bad++; }
    process.exit(bad ? 1 : 0);' \
    "$PEER/package-lock.json" "$PEER/node_modules/.package-lock.json" "$PLATFORM_PKG"
  echo "$NPM_STAMP" >"$NPM_STAMP_FILE"
  did+=("npm")
fi

# ---- 2. llama.cpp source from the bundle -------------------------------------------------
BUNDLE="$PEER/node_modules/node-llama-cpp/llama/gitRelease.bundle"
[[ -f "$BUNDLE" ]] || fail "node-llama-cpp has no llama.cpp git bundle at $BUNDLE"
BUNDLE_HEAD="$(git bundle list-heads "$BUNDLE" 2>>"$LOG" | awk '$2 == "HEAD" { print $1; exit }')"
[[ "$BUNDLE_HEAD" =~ ^[0-9a-f]{40}$ ]] || fail "cannot read HEAD of $BUNDLE"
SRC="$BUILD/llama.cpp"
SRC_STAMP_FILE="$BUILD/llama.cpp.commit"
if [[ -f "$SRC_STAMP_FILE" && "$(cat "$SRC_STAMP_FILE")" == "$BUNDLE_HEAD" &&
  -f "$SRC/ggml/src/ggml-quants.c" && -f "$SRC/gguf-py/gguf/__init__.py" ]]; then
  :
else
  rm -f "$SRC_STAMP_FILE"
  rm -rf "$SRC" "$SRC.tmp"
  run "extracting llama.cpp from $BUNDLE" \
    git -c advice.detachedHead=false clone --quiet "$BUNDLE" "$SRC.tmp"
  mv "$SRC.tmp" "$SRC"
  echo "$BUNDLE_HEAD" >"$SRC_STAMP_FILE"
  did+=("llama.cpp@${BUNDLE_HEAD:0:7}")
fi

# ---- 3. ggml_quants_ref ------------------------------------------------------------------
QOUT="$BUILD/quants"
mkdir -p "$QOUT"
GGML_CMAKE="$SRC/ggml/CMakeLists.txt"
ggml_ver() { sed -n "s/^set(GGML_VERSION_$1 \([0-9]*\)).*/\1/p" "$GGML_CMAKE" | head -n 1; }
GGML_VERSION="$(ggml_ver MAJOR).$(ggml_ver MINOR).$(ggml_ver PATCH)"
[[ "$GGML_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || GGML_VERSION="unknown"
# What llama.cpp's CMake build generates from ggml/src/ggml-version.h.in.
VERSION_H="$(printf '#pragma once\n\n#define GGML_VERSION "%s"\n#define GGML_COMMIT  "%s"\n' \
  "$GGML_VERSION" "${BUNDLE_HEAD:0:7}")"
if [[ ! -f "$QOUT/ggml-version.h" || "$(cat "$QOUT/ggml-version.h")" != "$VERSION_H" ]]; then
  printf '%s\n' "$VERSION_H" >"$QOUT/ggml-version.h"
fi
BIN_BEFORE="$(stat -c %Y.%s "$QOUT/ggml_quants_ref" 2>/dev/null || echo none)"
run "compiling ggml_quants_ref" \
  make --no-print-directory -j"$(nproc 2>/dev/null || echo 2)" -f "$PEER/quants/Makefile" \
  LLAMA="$SRC" OUT="$QOUT" CC="${CC:-gcc}" CXX="${CXX:-g++}"
if [[ "$BIN_BEFORE" != "$(stat -c %Y.%s "$QOUT/ggml_quants_ref")" ]]; then
  did+=("ggml_quants_ref")
fi

# ---- 4. smoke tests, only after something changed ----------------------------------------
if ((${#did[@]} > 0)); then
  # 32 values of 127 -> one q8_0 block (d = 1, 34 bytes) -> back to 32 values of exactly 127.
  run "ggml_quants_ref smoke test" bash -c '
    set -euo pipefail
    out="$(node -e "process.stdout.write(Buffer.from(new Float32Array(32).fill(127).buffer))" \
      | "$1" quantize q8_0 32 | "$1" dequantize q8_0 32 | node -e "
        const b = require(\"fs\").readFileSync(0);
        const f = new Float32Array(b.buffer, b.byteOffset, b.length / 4);
        process.stdout.write(String(f.length === 32 && f.every(v => v === 127)));")"
    [[ "$out" == true ]] || { echo "error: q8_0 round trip of 127 gave: $out"; exit 1; }' _ "$QOUT/ggml_quants_ref"
fi
if [[ " ${did[*]-} " == *" npm "* ]]; then
  run "node-llama-cpp cannot load its prebuilt llama.cpp binaries" \
    node "$PEER/llama-run.mjs" version
fi

ELAPSED_MS=$((($(date +%s%N) - START_NS) / 1000000))
if ((${#did[@]} > 0)); then
  CHANGED="set up ${did[*]}"
else
  CHANGED="already up to date"
fi
echo "peer setup: ok, $CHANGED (node-llama-cpp $NLC_VERSION $PLATFORM, llama.cpp ${BUNDLE_HEAD:0:7}, ggml $GGML_VERSION) in $((ELAPSED_MS / 1000)).$(printf '%03d' $((ELAPSED_MS % 1000)))s"
