#!/usr/bin/env bash
# bench/run.sh - smtpprobe side by side with swaks, against a real Postfix
# on loopback; prints the results as markdown on stdout (progress on stderr).
#
#   sudo bench/run.sh > results.md        (build first: ninja -C build)
#
# What it measures (docs/benchmarks.md explains and reads the numbers):
#   1. wall time of one probe (an accepted address), each tool;
#   2. wall time of BATCH addresses: smtpprobe --input vs a loop of swaks;
#   3. both again through bench/delayproxy.c, DELAY_MS added each way, and
#      the batch once more with PARALLEL probes at a time for each tool;
#   4. peak RSS (/usr/bin/time) and instructions (valgrind callgrind).
#
# The Postfix comes from tests/lib/postfix.sh with the fixtures/postfix
# template plus BATCH/2 extra known users and in_flow_delay=0s (see below);
# it listens on 127.0.0.1 only and is stopped by PID at exit, like the
# proxy. Nothing leaves loopback: both tools get --server 127.0.0.1 (no
# DNS), smtpprobe's --resolver points at a dead loopback port, delayproxy
# refuses non-loopback addresses. Benchmarks are not part of the test suite.
#
# Environment (defaults in brackets; the defaults take about 5 minutes):
#   SMTPPROBE     the binary [build/src/smtpprobe]
#   SMTPPROBE_DESCRIBE  version label for the report [git describe of this tree]
#   SWAKS         [swaks]
#   RUNS          runs per single-probe measurement, after 3 warm-ups [40]
#   RUNS_DELAYED  the same through the delay proxy, after 1 warm-up [10]
#   BATCH         addresses per batch, half known, half unknown users [200]
#   BATCH_MIN_S, BATCH_MAX_RUNS  a batch measurement runs again until it has
#                 taken BATCH_MIN_S seconds in all or run BATCH_MAX_RUNS
#                 times; at least once [3, 5]
#   DELAY_MS      one-way delay added by the proxy [50]
#   PARALLEL      probes at a time in the parallel batch rows, 0: none [8]
#   CALLGRIND     0: skip the valgrind runs [1]
#   QUICK=1       a smoke run: RUNS=5 RUNS_DELAYED=2 BATCH=20 CALLGRIND=0
# Needs root (Postfix), swaks, jq, a C compiler; uses hyperfine when
# installed (else a bash timer), /usr/bin/time and valgrind when installed.
# Exit status: 0 done, 1 a tool misbehaved (wrong verdict, DATA sent), 2 set-up.
set -uo pipefail
export LC_ALL=C

SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SMTPPROBE=${SMTPPROBE:-$SRCDIR/build/src/smtpprobe}
SWAKS=${SWAKS:-swaks}
if [ "${QUICK:-0}" = 1 ]; then
	: "${RUNS:=5}" "${RUNS_DELAYED:=2}" "${BATCH:=20}" "${CALLGRIND:=0}"
fi
RUNS=${RUNS:-40}
RUNS_DELAYED=${RUNS_DELAYED:-10}
BATCH=${BATCH:-200}
BATCH_MIN_S=${BATCH_MIN_S:-3}
BATCH_MAX_RUNS=${BATCH_MAX_RUNS:-5}
DELAY_MS=${DELAY_MS:-50}
PARALLEL=${PARALLEL:-8}
CALLGRIND=${CALLGRIND:-1}
HELO=bench.test
PROBE_TIMEOUT=10        # each tool's own per-step timeout, in seconds
BATCH_TIME_LIMIT=900    # hard bound on one batch run (timeout(1))
CALLGRIND_TIME_LIMIT=120
RSS_SCALE=5             # the large RSS batch: BATCH x RSS_SCALE addresses

# shellcheck source=../tests/lib/postfix.sh
. "$SRCDIR/tests/lib/postfix.sh"

T_START=$(date +%s)
log() { printf '# [%3ds] %s\n' $(($(date +%s) - T_START)) "$*" >&2; }
die() {
	printf 'bench: %s\n' "$*" >&2
	exit "${2:-2}"
}

WORK=
PROXY_PID=
cleanup() {
	if [ -n "$PROXY_PID" ] && kill -0 "$PROXY_PID" 2>/dev/null; then
		kill -TERM "$PROXY_PID" 2>/dev/null
		wait "$PROXY_PID" 2>/dev/null
		sed 's/^/# /' "$WORK/proxy.err" >&2
	fi
	PROXY_PID=
	postfix_stop
	[ -n "$WORK" ] && rm -rf "$WORK"
	WORK=
}
trap cleanup EXIT
trap 'exit 2' INT TERM

# ---- preflight -------------------------------------------------------------

[ "$(id -u)" -eq 0 ] || die "needs root: it starts a private Postfix (tests/lib/postfix.sh)"
[ -x "$SMTPPROBE" ] || die "$SMTPPROBE not found: build first (meson setup build && ninja -C build)"
command -v "$SWAKS" >/dev/null || die "swaks not found (apt-get install swaks)"
command -v jq >/dev/null || die "jq not found (apt-get install jq)"
CC=${CC:-cc}
command -v "$CC" >/dev/null || die "no C compiler ($CC) for bench/delayproxy.c"
HAVE_HYPERFINE=0
command -v hyperfine >/dev/null && HAVE_HYPERFINE=1
HAVE_TIME=0
[ -x /usr/bin/time ] && HAVE_TIME=1
HAVE_VALGRIND=0
command -v valgrind >/dev/null && [ "$CALLGRIND" = 1 ] && HAVE_VALGRIND=1
for n in RUNS RUNS_DELAYED BATCH BATCH_MIN_S BATCH_MAX_RUNS DELAY_MS; do
	if [[ ! ${!n} =~ ^[1-9][0-9]*$ ]]; then
		die "$n must be a positive integer"
	fi
done
if [[ ! $PARALLEL =~ ^[0-9]+$ ]] || [ "$PARALLEL" -gt 64 ]; then
	die "PARALLEL must be 0 to 64"
fi
[ "$BATCH" -ge 2 ] || die "BATCH must be at least 2"
[ "$RUNS" -ge 2 ] || die "RUNS must be at least 2"

WORK=$(mktemp -d /tmp/smtpprobe-bench.XXXXXX) || die "mktemp failed"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

log "building delayproxy"
"$CC" -std=c11 -O2 -Wall -Wextra -o "$WORK/delayproxy" "$SRCDIR/bench/delayproxy.c" 2>"$WORK/cc.err" ||
	die "cannot build bench/delayproxy.c: $(cat "$WORK/cc.err")"

# ---- Postfix and the proxy ---------------------------------------------------

# The test template, plus known users for the batch (the template is copied,
# never changed).
mkdir -p "$WORK/postfix"
cp "$SRCDIR"/fixtures/postfix/* "$WORK/postfix/"
half=$((BATCH / 2))
for ((i = 1; i <= half; i++)); do
	printf 'user%03d@postfix.test OK\n' "$i"
done >>"$WORK/postfix/recipients"
# The batch: known and unknown users alternating, one per line.
for ((i = 1; i <= BATCH - half; i++)); do
	[ "$i" -le "$half" ] && printf 'user%03d@postfix.test\n' "$i"
	printf 'nobody%03d@postfix.test\n' "$i"
done >"$WORK/batch.txt"
for ((i = 0; i < RSS_SCALE; i++)); do cat "$WORK/batch.txt"; done >"$WORK/batch-large.txt"

# in_flow_delay=0s: cleanup takes a flow-control token for every queue file
# it opens (smtpd opens one at the first accepted RCPT TO) and sleeps 1 s
# when none is left; only qmgr puts tokens back, when it moves a message,
# and probes never complete one. Past about 100 accepted recipients every
# accepted RCPT TO would take 1 s, whatever the client.
log "starting Postfix"
postfix_start "$WORK/postfix" in_flow_delay=0s || die "Postfix did not start"
log "postfix master pid $POSTFIX_PID on 127.0.0.1:$POSTFIX_PORT"
DEAD_RESOLVER=127.0.0.1:$(free_port)

coproc DPROXY { exec "$WORK/delayproxy" --listen 127.0.0.1:0 --target "127.0.0.1:$POSTFIX_PORT" \
	--delay "$DELAY_MS" --max-time 1800 2>"$WORK/proxy.err"; }
# shellcheck disable=SC2153 # DPROXY_PID is set by coproc
PROXY_PID=$DPROXY_PID
# Our own copy: bash closes the coproc's descriptors once it has exited.
exec {proxy_out}<&"${DPROXY[0]}"
if ! IFS= read -r -t 10 -u "$proxy_out" PROXY_PORT || [[ ! $PROXY_PORT =~ ^[0-9]+$ ]]; then
	cat "$WORK/proxy.err" >&2
	die "delayproxy did not start listening"
fi
log "delayproxy pid $PROXY_PID on 127.0.0.1:$PROXY_PORT (+$DELAY_MS ms each way)"

# The command lines under test, NUL-separated; PORT is filled in per target.
sp_cmd() { # PORT ARGS...
	local port=$1
	shift
	printf '%s\0' "$SMTPPROBE" --timeout "$PROBE_TIMEOUT" --helo "$HELO" --resolver "$DEAD_RESOLVER" \
		--server "127.0.0.1:$port" "$@"
}
sw_cmd() { # PORT ADDRESS
	printf '%s\0' "$SWAKS" --to "$2" --from '<>' --helo "$HELO" --server 127.0.0.1 --port "$1" \
		--quit-after RCPT --timeout "$PROBE_TIMEOUT"
}
# The swaks loop, as a user would write it: JOBS at a time (1: one after
# another, in the foreground). Writes "accepted rejected other" to FILE.result.
cat >"$WORK/swaks-loop.sh" <<'EOF'
#!/bin/bash
# swaks-loop.sh FILE PORT JOBS SWAKS HELO TIMEOUT
file=$1 port=$2 jobs=$3 swaks=$4 helo=$5 timeout=$6
ok=0 rej=0 other=0 running=0
count() {
	case $1 in
	0) ok=$((ok + 1)) ;;
	24) rej=$((rej + 1)) ;; # swaks: RCPT TO rejected
	*) other=$((other + 1)) ;;
	esac
}
probe() {
	"$swaks" --to "$1" --from '<>' --helo "$helo" --server 127.0.0.1 --port "$port" \
		--quit-after RCPT --timeout "$timeout" </dev/null >/dev/null 2>&1
}
while IFS= read -r a; do
	if [ "$jobs" -eq 1 ]; then
		probe "$a"
		count $?
		continue
	fi
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		count $?
		running=$((running - 1))
	fi
	probe "$a" &
	running=$((running + 1))
done <"$file"
while [ "$running" -gt 0 ]; do
	wait -n
	count $?
	running=$((running - 1))
done
echo "$ok $rej $other" >"$file.result"
EOF
sw_loop() { # PORT JOBS
	printf '%s\0' bash "$WORK/swaks-loop.sh" "$WORK/batch.txt" "$1" "$2" "$SWAKS" "$HELO" "$PROBE_TIMEOUT"
}
# Read a NUL-separated command into the named array.
load() { mapfile -d '' -t "$1"; }
c=() sp1=() sw1=() spb=() spp=()

# Shell-quoted, for the report and for hyperfine.
quoted() { local a out=; for a in "$@"; do out+="${out:+ }$(printf '%q' "$a")"; done; printf '%s' "$out"; }
# The same for people: paths relative to the source tree.
shown() { quoted "$@" | sed "s|$SRCDIR/||g"; }

# ---- sanity: each tool does what we think, and never DATA ------------------

disconnects() { postfix_log_count 'postfix/smtpd\[[0-9]+\]: disconnect from'; }
_disconnects_reach() { [ "$(disconnects)" -ge "$1" ]; }
last_session() { grep -E 'postfix/smtpd\[[0-9]+\]: disconnect from' "$POSTFIX_LOG" | tail -1 | sed 's/.*\] //'; }
want_verdicts="accepted=$half rejected=$((BATCH - half))"
verdicts() { jq -r .verdict | sort | uniq -c | awk '{ printf "%s%s=%s", sep, $2, $1; sep = " " }'; }

log "sanity checks"
load c < <(sp_cmd "$POSTFIX_PORT" --json alice@postfix.test)
out=$("${c[@]}")
rc=$?
if [ "$rc" -ne 0 ] || [ "$(jq -r .verdict <<<"$out")" != accepted ]; then
	die "smtpprobe did not accept alice@postfix.test (exit $rc): $out" 1
fi
wait_until 50 _disconnects_reach 1 || die "Postfix logged no session" 1
SP_SESSION=$(last_session)
n=$(disconnects)
load c < <(sw_cmd "$POSTFIX_PORT" alice@postfix.test)
"${c[@]}" >"$WORK/swaks.out" 2>&1
rc=$?
[ "$rc" -eq 0 ] || die "swaks did not accept alice@postfix.test (exit $rc): $(cat "$WORK/swaks.out")" 1
wait_until 50 _disconnects_reach $((n + 1)) || die "Postfix logged no session for swaks" 1
SW_SESSION=$(last_session)
log "smtpprobe session: $SP_SESSION"
log "swaks session:     $SW_SESSION"
load c < <(sp_cmd "$POSTFIX_PORT" --json --input "$WORK/batch.txt")
got=$("${c[@]}" | verdicts)
[ "$got" = "$want_verdicts" ] || die "smtpprobe batch: expected $want_verdicts, got $got" 1
if [ "$PARALLEL" -gt 0 ]; then
	load c < <(sp_cmd "$POSTFIX_PORT" --json --concurrency "$PARALLEL" --per-domain "$PARALLEL" --input "$WORK/batch.txt")
	got=$("${c[@]}" | verdicts)
	[ "$got" = "$want_verdicts" ] || die "smtpprobe parallel batch: expected $want_verdicts, got $got" 1
fi

# ---- measuring ----------------------------------------------------------------

# mean sd median min max of numbers on stdin (ms), one decimal.
stats() {
	sort -n | awk '{ v[NR] = $1; s += $1 } END {
		m = s / NR; for (i = 1; i <= NR; i++) q += (v[i] - m) ^ 2
		sd = NR > 1 ? sqrt(q / (NR - 1)) : 0
		med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.1f %.1f %.1f %.1f %.1f\n", m, sd, med, v[1], v[NR] }'
}

# time_once CMD...: run it (output discarded), set ELAPSED_US.
# EPOCHREALTIME (bash 5, microseconds) needs no fork, unlike date +%s%N.
ELAPSED_US=0
time_once() {
	local t0 t1
	t0=${EPOCHREALTIME/./}
	"$@" </dev/null >/dev/null 2>&1
	t1=${EPOCHREALTIME/./}
	ELAPSED_US=$((t1 - t0))
}
ms() { printf '%d.%03d\n' $(($1 / 1000)) $(($1 % 1000)); }

# single NAME RUNS WARMUP CMD...: one row of a single-probe table.
SINGLE_ROWS=()
single() {
	local name=$1 runs=$2 warm=$3 s i
	shift 3
	log "$name: $runs runs"
	if [ "$HAVE_HYPERFINE" = 1 ]; then
		hyperfine -N --warmup "$warm" --runs "$runs" --export-json "$WORK/hf.json" \
			-n "$name" "$(quoted "$@")" >/dev/null 2>"$WORK/hf.err" ||
			die "hyperfine failed for $name: $(cat "$WORK/hf.err")" 1
		s=$(jq -r '.results[0] | [.mean, .stddev, .median, .min, .max] |
			map(. * 1000 | . * 10 | round / 10 | tostring) | join(" ")' "$WORK/hf.json")
	else
		for ((i = 0; i < warm; i++)); do time_once "$@"; done
		s=$(for ((i = 0; i < runs; i++)); do
			time_once "$@"
			ms "$ELAPSED_US"
		done | stats)
	fi
	SINGLE_ROWS+=("$name|$runs|$s")
	printf '%s\n' "$s" >"$WORK/single.$name"
}

# batch NAME CMD...: wall time of the whole batch, bounded in runs and time.
BATCH_ROWS=()
batch() {
	local name=$1 s runs=0 spent=0
	shift
	log "$name: $BATCH addresses"
	s=$(while :; do
		time_once timeout "$BATCH_TIME_LIMIT" "$@"
		ms "$ELAPSED_US"
		runs=$((runs + 1)) spent=$((spent + ELAPSED_US))
		[ "$runs" -ge "$BATCH_MAX_RUNS" ] || [ "$spent" -ge $((BATCH_MIN_S * 1000000)) ] && break
	done | tee "$WORK/runs" | stats)
	BATCH_ROWS+=("$name|$(wc -l <"$WORK/runs")|$s")
	printf '%s\n' "$s" >"$WORK/batch.$name"
}

check_swaks_loop() {
	local got
	got=$(cat "$WORK/batch.txt.result" 2>/dev/null)
	rm -f "$WORK/batch.txt.result"
	[ "$got" = "$half $((BATCH - half)) 0" ] ||
		die "swaks loop: expected '$half $((BATCH - half)) 0' (accepted rejected other), got '$got'" 1
}

for target in direct delayed; do
	if [ "$target" = direct ]; then
		port=$POSTFIX_PORT runs=$RUNS warm=3 sfx=
	else
		port=$PROXY_PORT runs=$RUNS_DELAYED warm=1 sfx=" +${DELAY_MS}ms"
	fi
	load c < <(sp_cmd "$port" alice@postfix.test)
	single "smtpprobe$sfx" "$runs" "$warm" "${c[@]}"
	if [ "$target" = direct ]; then
		load c < <(sp_cmd "$port" --json alice@postfix.test)
		single "smtpprobe --json" "$runs" "$warm" "${c[@]}"
		load c < <(sp_cmd "$port" --tls none alice@postfix.test)
		single "smtpprobe --tls none" "$runs" "$warm" "${c[@]}"
	fi
	load c < <(sw_cmd "$port" alice@postfix.test)
	single "swaks$sfx" "$runs" "$warm" "${c[@]}"

	load c < <(sp_cmd "$port" --input "$WORK/batch.txt")
	batch "smtpprobe --input$sfx" "${c[@]}"
	load c < <(sw_loop "$port" 1)
	batch "swaks loop$sfx" "${c[@]}"
	check_swaks_loop
	if [ "$target" = delayed ] && [ "$PARALLEL" -gt 0 ]; then
		load c < <(sp_cmd "$port" --concurrency "$PARALLEL" --per-domain "$PARALLEL" --input "$WORK/batch.txt")
		batch "smtpprobe --input --per-domain $PARALLEL$sfx" "${c[@]}"
		load c < <(sw_loop "$port" "$PARALLEL")
		batch "swaks loop, $PARALLEL at a time$sfx" "${c[@]}"
		check_swaks_loop
	fi
done

# rss NAME N CMD...: peak RSS in KiB, the median of N runs.
RSS_ROWS=()
rss() {
	local name=$1 n=$2 i
	shift 2
	for ((i = 0; i < n; i++)); do
		/usr/bin/time -f %M -o "$WORK/rss" "$@" </dev/null >/dev/null 2>&1
		tail -1 "$WORK/rss"
	done | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }' >"$WORK/rss.med"
	RSS_ROWS+=("$name|$n|$(cat "$WORK/rss.med")")
}
if [ "$HAVE_TIME" = 1 ]; then
	log "peak RSS"
	load c < <(sp_cmd "$POSTFIX_PORT" alice@postfix.test)
	rss "smtpprobe, one probe" 5 "${c[@]}"
	load c < <(sp_cmd "$POSTFIX_PORT" --input "$WORK/batch.txt")
	rss "smtpprobe --input, $BATCH addresses" 5 "${c[@]}"
	load c < <(sp_cmd "$POSTFIX_PORT" --input "$WORK/batch-large.txt")
	rss "smtpprobe --input, $((BATCH * RSS_SCALE)) addresses (the batch $RSS_SCALE times)" 1 "${c[@]}"
	load c < <(sw_cmd "$POSTFIX_PORT" alice@postfix.test)
	rss "swaks, one probe (each process of the loop)" 5 "${c[@]}"
fi

# Instructions executed in user space (callgrind's Ir), one run each.
IR_ROWS=()
instr() {
	local name=$1 ir
	shift
	timeout "$CALLGRIND_TIME_LIMIT" valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.out" \
		"$@" </dev/null >/dev/null 2>"$WORK/cg.err"
	ir=$(sed -n 's/^summary: //p' "$WORK/cg.out" 2>/dev/null)
	[ -n "$ir" ] || ir=failed
	IR_ROWS+=("$name|$ir")
	rm -f "$WORK/cg.out"
}
if [ "$HAVE_VALGRIND" = 1 ]; then
	log "callgrind"
	load c < <(sp_cmd "$POSTFIX_PORT" alice@postfix.test)
	instr "smtpprobe, one probe" "${c[@]}"
	load c < <(sp_cmd "$POSTFIX_PORT" --tls none alice@postfix.test)
	instr "smtpprobe --tls none, one probe" "${c[@]}"
	load c < <(sp_cmd "$POSTFIX_PORT" --input "$WORK/batch.txt")
	instr "smtpprobe --input, $BATCH addresses" "${c[@]}"
	load c < <(sw_cmd "$POSTFIX_PORT" alice@postfix.test)
	instr "swaks, one probe" "${c[@]}"
fi

# Nothing may have gone past RCPT TO: no DATA/BDAT, no queued message.
# postlogd writes asynchronously: wait (bounded) until the count stops moving.
_last_count=
_settled() {
	local n
	n=$(disconnects)
	[ "$n" = "$_last_count" ] && return 0
	_last_count=$n
	return 1
}
wait_until 50 _settled
forbidden=$(postfix_log_count ' (data|bdat)=|qmgr\[[0-9]+\]: [0-9A-F]+: from=|cleanup\[[0-9]+\]: [0-9A-F]+: message-id=')
SESSIONS=$(disconnects)
[ "$forbidden" -eq 0 ] || die "Postfix logged DATA/BDAT or a queued message ($forbidden lines)" 1
T_END=$(date +%s)

# ---- report ------------------------------------------------------------------------

ver_swaks=$("$SWAKS" --version 2>/dev/null | sed -n 's/^swaks version //p')
ver_sp=${SMTPPROBE_DESCRIBE:-$(git -C "$SRCDIR" describe --always --dirty --tags 2>/dev/null || echo unknown)}
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
deb=$(cat /etc/debian_version 2>/dev/null || echo '?')
load sp1 < <(sp_cmd PORT alice@postfix.test)
load sw1 < <(sw_cmd PORT alice@postfix.test)
load spb < <(sp_cmd PORT --input batch.txt)
load spp < <(sp_cmd PORT --concurrency "$PARALLEL" --per-domain "$PARALLEL" --input batch.txt)
par_cmds=
if [ "$PARALLEL" -gt 0 ]; then
	par_cmds="    $(shown "${spp[@]}")
    (and the swaks loop with up to $PARALLEL swaks in the background at a time, bash \`wait -n\`)"
fi

# div A B [DECIMALS]
div() { awk -v a="$1" -v b="$2" -v d="${3:-1}" 'BEGIN { printf "%.*f", d, (b > 0 ? a / b : 0) }'; }
median_of() { cut -d' ' -f3 "$WORK/$1" 2>/dev/null; }
ratio_line() { # LABEL SWAKS_FILE SMTPPROBE_FILE
	local a b
	a=$(median_of "$2") b=$(median_of "$3")
	[ -n "$a" ] && [ -n "$b" ] && printf -- '- %s: %sx\n' "$1" "$(div "$a" "$b")"
}

cat <<EOF
## smtpprobe vs swaks: results

- date: $(date -u +%Y-%m-%dT%H:%M:%SZ); bench time $((T_END - T_START)) s; load average (1/5/15 min) at start $LOAD_START, at end $(cut -d' ' -f1-3 /proc/loadavg)
- machine: $(nproc) CPU ($cpu), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, Debian $deb, Linux $(uname -r)
- smtpprobe $ver_sp ($("$SMTPPROBE" --version 2>/dev/null)); swaks $ver_swaks; perl $(perl -e 'printf "%vd", $^V'); $(openssl version 2>/dev/null | cut -d' ' -f1-2); Postfix $(postconf -dh mail_version 2>/dev/null)
- timer: $([ "$HAVE_HYPERFINE" = 1 ] && echo "$(hyperfine --version) (\`-N\`: no shell)" || echo "bash loop with \$EPOCHREALTIME") for single probes, after warm-ups (3 on loopback, 1 delayed); bash loop with \$EPOCHREALTIME for batches (no warm-up; one \`timeout\` process around each run)
- server: Postfix on 127.0.0.1, no STARTTLS offered; "+${DELAY_MS}ms" rows go through bench/delayproxy.c, +$DELAY_MS ms each way ($((2 * DELAY_MS)) ms per round trip; the TCP handshake is not delayed)
- Postfix saw $SESSIONS sessions, none with DATA/BDAT. Commands per session (accepted address), from its log: smtpprobe \`$SP_SESSION\`; swaks \`$SW_SESSION\`

Commands (PORT: Postfix, or the proxy; batch.txt: $BATCH addresses, $half known and $((BATCH - half)) unknown users, alternating):

    $(shown "${sp1[@]}")
    $(shown "${spb[@]}")
    $(shown "${sw1[@]}")
    while read -r a; do swaks --to "\$a" ...the same options... </dev/null; done < batch.txt
$par_cmds

### One probe (an accepted address), wall time in ms

| command | runs | mean | σ | median | min | max |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
EOF
for row in "${SINGLE_ROWS[@]}"; do
	IFS='|' read -r name runs s <<<"$row"
	read -r mean sd med min max <<<"$s"
	printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$runs" "$mean" "$sd" "$med" "$min" "$max"
done
cat <<EOF

### $BATCH addresses ($half accepted, $((BATCH - half)) rejected), wall time

| command | runs | median s | min s | max s | per address ms |
| --- | ---: | ---: | ---: | ---: | ---: |
EOF
for row in "${BATCH_ROWS[@]}"; do
	IFS='|' read -r name runs s <<<"$row"
	read -r mean sd med min max <<<"$s"
	printf '| %s | %s | %s | %s | %s | %s |\n' "$name" "$runs" \
		"$(div "$med" 1000 2)" "$(div "$min" 1000 2)" "$(div "$max" 1000 2)" "$(div "$med" "$BATCH")"
done
printf '\nswaks / smtpprobe, medians:\n\n'
ratio_line "one probe" "single.swaks" "single.smtpprobe"
ratio_line "one probe, +${DELAY_MS}ms" "single.swaks +${DELAY_MS}ms" "single.smtpprobe +${DELAY_MS}ms"
ratio_line "$BATCH addresses" "batch.swaks loop" "batch.smtpprobe --input"
ratio_line "$BATCH addresses, +${DELAY_MS}ms" "batch.swaks loop +${DELAY_MS}ms" "batch.smtpprobe --input +${DELAY_MS}ms"
ratio_line "$BATCH addresses, $PARALLEL at a time, +${DELAY_MS}ms" "batch.swaks loop, $PARALLEL at a time +${DELAY_MS}ms" \
	"batch.smtpprobe --input --per-domain $PARALLEL +${DELAY_MS}ms"
if [ ${#RSS_ROWS[@]} -gt 0 ]; then
	printf '\n### Peak RSS (/usr/bin/time -f %%M; the median when several runs)\n\n| run | runs | KiB |\n| --- | ---: | ---: |\n'
	for row in "${RSS_ROWS[@]}"; do
		IFS='|' read -r name n v <<<"$row"
		printf '| %s | %s | %s |\n' "$name" "$n" "$v"
	done
fi
if [ ${#IR_ROWS[@]} -gt 0 ]; then
	printf '\n### Instructions (valgrind --tool=callgrind: user space, whole process, one run)\n\n| run | instructions |\n| --- | ---: |\n'
	for row in "${IR_ROWS[@]}"; do
		IFS='|' read -r name v <<<"$row"
		[[ $v =~ ^[0-9]+$ ]] && v="$(div "$v" 1000000) M"
		printf '| %s | %s |\n' "$name" "$v"
	done
fi
exit 0
