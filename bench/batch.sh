#!/usr/bin/env bash
# bench/batch.sh - the targets of the "batch at the protocol minimum" issue,
# measured side by side with swaks against a real Postfix and a real unbound
# on loopback; prints markdown on stdout (progress on stderr).
#
#   sudo bench/batch.sh > results.md      (build first: ninja -C build)
#
# What it measures (docs/benchmarks.md, "Batches at the protocol minimum",
# explains and reads the numbers):
#   rt       round trips of one probe through bench/delayproxy.c (DELAY_MS
#            each way): plain with PIPELINING and STARTTLS (TLS 1.3), each
#            tool; wall time through the proxy minus wall time direct,
#            divided by the round-trip time, and the flights counted in
#            each tool's transcript;
#   fifty    50 recipients at one domain in one run vs one probe, through
#            the proxy; swaks with the 50 in one pipelined session;
#   domains  DOMAIN_ADDRS addresses over DOMAINS domains (unbound: MX ->
#            127.0.0.1), through the proxy, -j DOMAINS: wall time, Postfix
#            sessions, CPU and peak RSS; swaks as one pipelined session per
#            domain, DOMAINS at a time;
#   rss      peak RSS at -j 256 for lists of RSS_LISTS addresses over
#            RSS_DOMAINS domains, with a silent server's domain at the head;
#   cpu      CPU per STARTTLS probe: a batch of CPU_N probes of CPU_N
#            domains, direct (no delay), with and without TLS and with the
#            system trust store replaced by the test CA; one probe per
#            process, each tool; callgrind on one probe, with the share of
#            loading the system trust store.
#
# Servers (all on loopback, started here, stopped by PID at exit): Postfix
# from tests/lib/postfix.sh (the fixtures/postfix template plus known users,
# DOMAINS-style virtual domains d0001.test.. whose users userNNN exist,
# the test certificate from tests/tls/gen-certs.sh, TLS offered), unbound
# from tests/lib/unbound.sh (the d*.test zones, MX -> 127.0.0.1; slow.test,
# MX -> 127.0.0.2), bench/delayproxy.c on 127.0.0.1, and fakesmtp saying
# nothing on 127.0.0.2 at the proxy's port for the rss part. smtpprobe's
# --resolver is that unbound; every connection goes to 127.0.0.1 or
# 127.0.0.2. Benchmarks are not part of the test suite: nothing here passes
# or fails on a timing.
#
# Environment (defaults in brackets; the defaults take about 10 minutes):
#   SMTPPROBE, SWAKS, FAKESMTP  the binaries [build/src/smtpprobe, swaks,
#                 build/tests/fake/fakesmtp]
#   SMTPPROBE_DESCRIBE  version label for the report [git describe]
#   PARTS         which parts, in order ["rt fifty domains rss cpu"]
#   DELAY_MS      one-way delay added by the proxy [50]
#   RUNS          hyperfine runs per single-probe row, direct [20]
#   RUNS_DELAYED  the same through the proxy [10]
#   BATCH_RUNS    runs of each batch row (the median is reported) [3]
#   DOMAINS, DOMAIN_ADDRS  the domains part [100, 10000]
#   FIFTY_LISTS   the fifty part's lists ["fifty-mix fifty-known fifty-goodfirst
#                 fifty-mostlybad fifty-lostbet"]
#   RSS_DOMAINS, RSS_LISTS, RSS_J  the rss part [1000, "1000 10000 100000", 256]
#   CPU_N         STARTTLS probes in the cpu part's batch [500]
#   CG_N          the same under callgrind [100]
#   CALLGRIND     0: skip valgrind [1]
#   UNBOUND_RCVBUF  unbound's so-rcvbuf; empty: the system default, with
#                 which unbound drops part of a burst of -j 256 queries [4m]
#   QUICK=1       a smoke run: small numbers everywhere (under 2 minutes)
# Needs root (Postfix), swaks, jq, hyperfine, /usr/bin/time (package time),
# unbound, a C compiler; valgrind for the callgrind rows.
# Exit status: 0 done, 1 a tool misbehaved (wrong verdicts, DATA sent), 2 set-up.
set -uo pipefail
export LC_ALL=C

SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SMTPPROBE=${SMTPPROBE:-$SRCDIR/build/src/smtpprobe}
SWAKS=${SWAKS:-swaks}
FAKESMTP=${FAKESMTP:-$SRCDIR/build/tests/fake/fakesmtp}
if [ "${QUICK:-0}" = 1 ]; then
	: "${RUNS:=3}" "${RUNS_DELAYED:=2}" "${BATCH_RUNS:=1}" "${DOMAINS:=10}" "${DOMAIN_ADDRS:=500}"
	: "${RSS_DOMAINS:=50}" "${RSS_LISTS:=1000 5000}" "${CPU_N:=20}" "${CG_N:=5}" "${CALLGRIND:=0}"
fi
PARTS=${PARTS:-rt fifty domains rss cpu}
DELAY_MS=${DELAY_MS:-50}
RUNS=${RUNS:-20}
RUNS_DELAYED=${RUNS_DELAYED:-10}
BATCH_RUNS=${BATCH_RUNS:-3}
DOMAINS=${DOMAINS:-100}
DOMAIN_ADDRS=${DOMAIN_ADDRS:-10000}
RSS_DOMAINS=${RSS_DOMAINS:-1000}
RSS_LISTS=${RSS_LISTS:-1000 10000 100000}
RSS_J=${RSS_J:-256}
FIFTY_LISTS=${FIFTY_LISTS:-fifty-mix fifty-known fifty-goodfirst fifty-mostlybad fifty-lostbet}
CPU_N=${CPU_N:-500}
CG_N=${CG_N:-100}
CALLGRIND=${CALLGRIND:-1}
UNBOUND_RCVBUF=${UNBOUND_RCVBUF-4m}
HELO=bench.test
RTT_MS=$((2 * DELAY_MS))
RUN_LIMIT=600           # hard bound on one run of a tool (timeout(1))
CALLGRIND_TIME_LIMIT=180
SILENT_FOR=300          # fakesmtp's own bound on its silent session, seconds

# shellcheck source=../tests/lib/postfix.sh
. "$SRCDIR/tests/lib/postfix.sh"
# shellcheck source=../tests/lib/unbound.sh
. "$SRCDIR/tests/lib/unbound.sh"

T_START=$(date +%s)
log() { printf '# [%4ds] %s\n' $(($(date +%s) - T_START)) "$*" >&2; }
die() {
	printf 'bench/batch.sh: %s\n' "$*" >&2
	exit "${2:-2}"
}

WORK=
PROXY_PID=
SILENT_PID=
stop_pid() { # PID: TERM, wait (bounded), KILL
	local pid=$1 i
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}
cleanup() {
	stop_pid "$SILENT_PID"
	SILENT_PID=
	if [ -n "$PROXY_PID" ]; then
		stop_pid "$PROXY_PID"
		sed 's/^/# /' "$WORK/proxy.err" >&2
	fi
	PROXY_PID=
	postfix_stop
	unbound_stop
	[ -n "$WORK" ] && rm -rf "$WORK"
	WORK=
}
trap cleanup EXIT
trap 'exit 2' INT TERM

# ---- preflight -------------------------------------------------------------

[ "$(id -u)" -eq 0 ] || die "needs root: it starts a private Postfix (tests/lib/postfix.sh)"
[ -x "$SMTPPROBE" ] || die "$SMTPPROBE not found: build first (meson setup build -Dtests=enabled && ninja -C build)"
for t in "$SWAKS" jq hyperfine unbound; do
	command -v "$t" >/dev/null || die "$t not found (apt-get install swaks jq hyperfine unbound)"
done
[ -x /usr/bin/time ] || die "/usr/bin/time not found (apt-get install time)"
CC=${CC:-cc}
command -v "$CC" >/dev/null || die "no C compiler ($CC) for bench/delayproxy.c"
HAVE_VALGRIND=0
command -v valgrind >/dev/null && [ "$CALLGRIND" = 1 ] && HAVE_VALGRIND=1
for n in DELAY_MS RUNS RUNS_DELAYED BATCH_RUNS DOMAINS DOMAIN_ADDRS RSS_DOMAINS RSS_J CPU_N CG_N; do
	[[ ${!n} =~ ^[1-9][0-9]*$ ]] || die "$n must be a positive integer"
done
for n in $RSS_LISTS; do
	[[ $n =~ ^[1-9][0-9]*$ ]] || die "RSS_LISTS must hold positive integers"
done
{ [ "$RUNS" -ge 2 ] && [ "$RUNS_DELAYED" -ge 2 ]; } || die "RUNS and RUNS_DELAYED must be at least 2"
MAXDOM=$DOMAINS
[ "$RSS_DOMAINS" -gt "$MAXDOM" ] && MAXDOM=$RSS_DOMAINS
[ "$CPU_N" -gt "$MAXDOM" ] && MAXDOM=$CPU_N
[ "$CG_N" -le "$CPU_N" ] || die "CG_N must be at most CPU_N"
[ "$MAXDOM" -le 9999 ] || die "at most 9999 domains"
case " $PARTS " in *" rss "*) [ -x "$FAKESMTP" ] || die "$FAKESMTP not found (meson setup build -Dtests=enabled)" ;; esac

# 256 sessions at once, each a socket here and two in the proxy, plus Postfix.
ulimit -n "$(ulimit -Hn)" 2>/dev/null
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge 4096 ] || die "RLIMIT_NOFILE below 4096 (ulimit -n)"

WORK=$(mktemp -d /tmp/smtpprobe-batchbench.XXXXXX) || die "mktemp failed"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

log "building delayproxy, the test certificates"
"$CC" -std=c11 -O2 -Wall -Wextra -o "$WORK/delayproxy" "$SRCDIR/bench/delayproxy.c" 2>"$WORK/cc.err" ||
	die "cannot build bench/delayproxy.c: $(cat "$WORK/cc.err")"
bash "$SRCDIR/tests/tls/gen-certs.sh" "$WORK/certs" >/dev/null || die "tests/tls/gen-certs.sh failed"
CA=$WORK/certs/ca.pem

# ---- the lists ---------------------------------------------------------------

dom() { printf 'd%04d.test' "$1"; }
# fifty-mix: 25 known and 25 unknown users of postfix.test, alternating (as
# run.sh's batch); fifty-known: 50 known users.
for ((i = 1; i <= 25; i++)); do printf 'user%03d@postfix.test\nnobody%03d@postfix.test\n' "$i" "$i"; done >"$WORK/fifty-mix.txt"
for ((i = 1; i <= 50; i++)); do printf 'user%03d@postfix.test\n' "$i"; done >"$WORK/fifty-known.txt"
# The lists that test the bet of a clean first group (docs/batch.md): the 25
# known users first, then the 25 unknown; 5 known, then 45 unknown.
{ seq -f 'user%03g@postfix.test' 1 25; seq -f 'nobody%03g@postfix.test' 1 25; } >"$WORK/fifty-goodfirst.txt"
{ seq -f 'user%03g@postfix.test' 1 5; seq -f 'nobody%03g@postfix.test' 1 45; } >"$WORK/fifty-mostlybad.txt"
# fifty-lostbet: the worst case for that bet, known users exactly where the
# first group samples a session of 50 (the 1st, 8th, ... 43rd), unknown ones
# everywhere else: the sample is clean, the other 43 are all refused.
awk 'BEGIN { for (i = 1; i <= 50; i++) if ((i - 1) % 7 == 0 && i < 50) printf "user%03d@postfix.test\n", i; else printf "nobody%03d@postfix.test\n", i }' >"$WORK/fifty-lostbet.txt"
# addrs N DOMAINS: N addresses over DOMAINS domains, the domain turning
# fastest (user001@d0001, user001@d0002, ...): a list sorted by local part.
addrs() {
	awk -v n="$1" -v d="$2" 'BEGIN { for (i = 0; i < n; i++)
		printf "user%03d@d%04d.test\n", int(i / d) % 1000 + 1, i % d + 1 }'
}
addrs "$DOMAIN_ADDRS" "$DOMAINS" >"$WORK/domains.txt"
addrs "$CPU_N" "$CPU_N" >"$WORK/cpu.txt"

# ---- Postfix, unbound, the proxy ----------------------------------------------

mkdir -p "$WORK/postfix"
cp "$SRCDIR"/fixtures/postfix/* "$WORK/postfix/"
for ((i = 1; i <= 50; i++)); do printf 'user%03d@postfix.test OK\n' "$i"; done >>"$WORK/postfix/recipients"
# The d*.test domains: every userNNN exists, anything else is unknown (550
# 5.1.1), so the catch-all check's made-up address is refused as at a real
# domain. regexp tables are built into Debian's Postfix.
printf '/^d[0-9]{4}\\.test$/ OK\n' >"$WORK/postfix/vdomains"
printf '/^user[0-9]{3}@d[0-9]{4}\\.test$/ OK\n' >"$WORK/postfix/vmailbox"

# in_flow_delay=0s: see bench/run.sh (every accepted RCPT TO would take 1 s
# after about 100). default_process_limit: smtpd's maxproc is "-" in the
# template (100), and the rss part runs 256 sessions at once.
# smtpd_client_event_limit_exceptions: smtpd_client_connection_count_limit
# (50 per client) applies to everyone outside it, and 127.0.0.1 is not in
# the template's mynetworks.
log "starting Postfix"
postfix_start "$WORK/postfix" in_flow_delay=0s default_process_limit=400 \
	'smtpd_client_event_limit_exceptions=127.0.0.0/8' \
	"smtpd_tls_cert_file=$WORK/certs/valid.pem" "smtpd_tls_key_file=$WORK/certs/valid.key" \
	smtpd_tls_security_level=may smtpd_tls_loglevel=1 \
	'virtual_mailbox_domains=regexp:@CONFIG_DIR@/vdomains' \
	'virtual_mailbox_maps=regexp:@CONFIG_DIR@/vmailbox' \
	'virtual_transport=discard:virtual delivery disabled in benchmarks' ||
	die "Postfix did not start"
log "postfix master pid $POSTFIX_PID on 127.0.0.1:$POSTFIX_PORT"

{
	echo 'server:'
	for ((i = 1; i <= MAXDOM; i++)); do
		d=$(dom "$i")
		printf '  local-zone: "%s." static\n' "$d"
		printf '  local-data: "%s. 300 IN SOA ns.%s. hostmaster.%s. 1 3600 600 86400 300"\n' "$d" "$d" "$d"
		printf '  local-data: "%s. 300 IN MX 10 mx.%s."\n' "$d" "$d"
		printf '  local-data: "mx.%s. 300 IN A 127.0.0.1"\n' "$d"
	done
	echo '  local-zone: "slow.test." static'
	echo '  local-data: "slow.test. 300 IN SOA ns.slow.test. hostmaster.slow.test. 1 3600 600 86400 300"'
	echo '  local-data: "slow.test. 300 IN MX 10 mx.slow.test."'
	echo '  local-data: "mx.slow.test. 300 IN A 127.0.0.2"'
	# A run starts up to -j probes at once, each with an MX query and then
	# A and AAAA queries: with the default socket buffer (212992 bytes here)
	# unbound drops part of the burst of -j 256, and c-ares' retries make
	# some domains fail with dns_timeout (docs/benchmarks.md).
	[ -n "$UNBOUND_RCVBUF" ] && printf '  so-rcvbuf: %s\n' "$UNBOUND_RCVBUF"
} >"$WORK/zones.conf"
log "starting unbound ($MAXDOM domains)"
unbound_start "$WORK/zones.conf" || die "unbound did not start"
log "unbound pid $UNBOUND_PID on 127.0.0.1:$UNBOUND_PORT"

coproc DPROXY { exec "$WORK/delayproxy" --listen 127.0.0.1:0 --target "127.0.0.1:$POSTFIX_PORT" \
	--delay "$DELAY_MS" --max-time 3600 2>"$WORK/proxy.err"; }
# shellcheck disable=SC2153 # DPROXY_PID is set by coproc
PROXY_PID=$DPROXY_PID
exec {proxy_out}<&"${DPROXY[0]}"
if ! IFS= read -r -t 10 -u "$proxy_out" PROXY_PORT || [[ ! $PROXY_PORT =~ ^[0-9]+$ ]]; then
	cat "$WORK/proxy.err" >&2
	die "delayproxy did not start listening"
fi
log "delayproxy pid $PROXY_PID on 127.0.0.1:$PROXY_PORT (+$DELAY_MS ms each way)"

# ---- helpers -----------------------------------------------------------------------

# Shell-quoted, for hyperfine; shown: for people (paths relative to the
# tree or the work directory, ports by name).
quoted() { local a out=; for a in "$@"; do out+="${out:+ }$(printf '%q' "$a")"; done; printf '%s' "$out"; }
shown() {
	quoted "$@" | sed -e "s|$WORK/||g" -e "s|$SRCDIR/||g" -e "s|:$PROXY_PORT\\b|:\$PROXY|g" \
		-e "s|--port $PROXY_PORT\\b|--port \$PROXY|g" -e "s|:$POSTFIX_PORT\\b|:\$POSTFIX|g" \
		-e "s|--port $POSTFIX_PORT\\b|--port \$POSTFIX|g" -e "s|:$UNBOUND_PORT\\b|:\$UNBOUND|g"
}
div() { awk -v a="$1" -v b="$2" -v d="${3:-1}" 'BEGIN { printf "%.*f", d, (b > 0 ? a / b : 0) }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

# smtpprobe with the options every row shares; PORT: the Postfix or the proxy.
sp_server() { # PORT ARGS...
	local port=$1
	shift
	printf '%s\0' "$SMTPPROBE" --timeout 10 --helo "$HELO" --resolver "127.0.0.1:$UNBOUND_PORT" \
		--server "127.0.0.1:$port" "$@"
}
sp_mx() { # PORT ARGS...: through DNS (unbound), --port for every MX host
	local port=$1
	shift
	printf '%s\0' "$SMTPPROBE" --timeout 10 --helo "$HELO" --resolver "127.0.0.1:$UNBOUND_PORT" \
		--port "$port" "$@"
}
TLS_SP=(--tls required --ca-file "$CA" --tls-name mx.tls.test)
sw() { # PORT TO ARGS...
	local port=$1 to=$2
	shift 2
	printf '%s\0' "$SWAKS" --to "$to" --from '<>' --helo "$HELO" --server 127.0.0.1 --port "$port" \
		--quit-after RCPT --timeout 10 --pipeline "$@"
}
TLS_SW=(--tls --tls-verify --tls-ca-path "$CA" --tls-sni mx.tls.test)
load() { mapfile -d '' -t "$1"; }
c=()

disconnects() { postfix_log_count 'postfix/smtpd\[[0-9]+\]: disconnect from'; }
_last_count=
_settled() {
	local n
	n=$(disconnects)
	[ "$n" = "$_last_count" ] && return 0
	_last_count=$n
	return 1
}
# postlogd writes asynchronously: wait (bounded) until the count stops moving.
settle() { _last_count=; wait_until 30 _settled; sleep 0.3; wait_until 30 _settled; }

# Datagrams unbound's socket dropped so far (the d field of ss -m), and the
# machine's UDP receive-buffer drops (RcvbufErrors, /proc/net/snmp): the
# rest are mostly replies dropped at smtpprobe's own c-ares socket.
ub_drops() { ss -Huanm "( sport = :$UNBOUND_PORT )" | sed -n 's/.*,d\([0-9]*\)).*/\1/p' | head -1; }
udp_drops() {
	awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "RcvbufErrors") c = i; h = 1 } else print $c }' /proc/net/snmp
}
drops_now() { echo "$(udp_drops) $(ub_drops)"; }
drops_since() { # "ALL UNBOUND" from drops_now -> "all (unbound)"
	local a0 u0 a1 u1
	read -r a0 u0 <<<"$1"
	read -r a1 u1 < <(drops_now)
	echo "$((a1 - a0)) ($((u1 - u0)))"
}
# RCPT TO per session in the last N sessions Postfix logged: "median
# (min-max)", from the disconnect lines (rcpt=sent or rcpt=accepted/sent).
rcpts_per_session() {
	[ "$1" -gt 0 ] || { echo -; return; }
	grep -E 'postfix/smtpd\[[0-9]+\]: disconnect from' "$POSTFIX_LOG" | tail -n "$1" |
		grep -oE 'rcpt=[0-9]+(/[0-9]+)?' | awk -F'[=/]' '{ print $NF }' | sort -n |
		awk '{ v[NR] = $1 } END { printf "%d (%d-%d)", v[int((NR + 1) / 2)], v[1], v[NR] }'
}

# hyperfine NAME RUNS WARMUP CMD...: sets HF (median mean sd min max, ms;
# user sys, ms per run).
HF=
hf() {
	local name=$1 runs=$2 warm=$3
	shift 3
	log "$name: $runs runs"
	hyperfine -N -i --warmup "$warm" --runs "$runs" --export-json "$WORK/hf.json" \
		-n "$name" "$(quoted "$@")" >/dev/null 2>"$WORK/hf.err" ||
		die "hyperfine failed for $name: $(cat "$WORK/hf.err")" 1
	HF=$(jq -r '.results[0] | [.median, .mean, .stddev, .min, .max, .user, .system] |
		map(. * 1000 | . * 10 | round / 10 | tostring) | join(" ")' "$WORK/hf.json")
}

# timed NAME CMD...: one run under /usr/bin/time and timeout; stdout to
# $WORK/out, stderr to $WORK/err; sets T_WALL (s) T_USER T_SYS (s) T_RSS
# (KiB) RC.
# T_BUSY: how busy the whole machine was meanwhile (all CPUs, /proc/stat),
# in percent: other tenants of a shared machine show up there.
cpu_jiffies() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat; }
timed() {
	local name=$1 b0 i0 b1 i1
	shift
	log "$name"
	read -r b0 i0 < <(cpu_jiffies)
	/usr/bin/time -f '%e %U %S %M %x' -o "$WORK/time" timeout "$RUN_LIMIT" "$@" \
		</dev/null >"$WORK/out" 2>"$WORK/err"
	read -r b1 i1 < <(cpu_jiffies)
	read -r T_WALL T_USER T_SYS T_RSS RC < <(tail -1 "$WORK/time")
	T_BUSY=$(awk -v b=$((b1 - b0)) -v i=$((i1 - i0)) 'BEGIN { printf "%.0f", (b + i > 0 ? 100 * b / (b + i) : 0) }')
}

# "N accepted, M tempfail (rcpt timeout)": the verdicts of a JSON Lines
# file, with step and failure class for anything not accepted or rejected.
verdicts() {
	jq -r 'if .verdict == "accepted" or .verdict == "rejected" then .verdict
		else "\(.verdict) (\(.step) \(.failure))" end' "$1" |
		sort | uniq -c | sort -rn | awk '{ n = $1; $1 = ""; printf "%s%s%s", sep, n, $0; sep = ", " }'
}

# RCPT TO commands per pipelined group, per session, from a transcript
# (smtpprobe -v or swaks): "8+16+27 / 8+16+26" for two sessions.
rcpt_groups() {
	# smtpprobe's batch -v names the probe first ("[postfix.test#1] C: ...")
	awk '
	{ sub(/^\[[^ ]*\] /, "") }
	/^(\*\*\* connecting|=== Trying)/ { if (g) out = out (out ? " / " : "") g; g = ""; n = 0; next }
	/^(C: | [-~]> )RCPT TO/ { n++; next }
	/^(S: |<[-~*]+ )/ { if (n) g = g (g ? "+" : "") n; n = 0 }
	END { if (g) out = out (out ? " / " : "") g; print out }'
}

# Flights a client waited for, from its transcript: the greeting, every
# reply group after something the client sent, and a TLS handshake (one
# round trip in TLS 1.3: the client's Finished goes with its next command).
# smtpprobe -v: "S:"/"C:" lines, "*** starting TLS"; swaks: "<-"/"<~"/"<**"
# (server), " ->"/" ~>" (client), "=== TLS started".
flights() {
	awk '
	/^(S: |<[-~*]+ )/ { if (last != "S") n++; last = "S"; next }
	/^(C: | [-~]> |\*\*\* starting TLS)/ { last = "C" }
	/^\*\*\* starting TLS/ { n++; last = "T" }
	/^=== TLS started/ { n++; last = "T" }
	END { print n + 0 }'
}

ROWS=()     # the report, section by section, built as the parts run
out() { ROWS+=("$*"); }

# ---- sanity: the servers answer as expected ---------------------------------

UDP_DROPS0=$(udp_drops)

log "sanity checks"
load c < <(sp_server "$POSTFIX_PORT" --json "${TLS_SP[@]}" alice@postfix.test)
got=$("${c[@]}" | jq -r '[.verdict, .tls.version, .tls.verified] | join(" ")')
[ "$got" = "accepted TLSv1.3 true" ] || die "smtpprobe STARTTLS to Postfix: expected 'accepted TLSv1.3 true', got '$got'" 1
load c < <(sp_mx "$POSTFIX_PORT" --json --tls none user001@d0001.test nobody@d0001.test)
got=$("${c[@]}" | jq -r .verdict | paste -sd' ')
[ "$got" = "accepted rejected" ] || die "virtual domains: expected 'accepted rejected', got '$got'" 1

# ==== 1. round trips of one probe =====================================================

part_rt() {
	local kind tool port runs warm name tr n
	local -A med
	out "### Round trips of one probe ($RTT_MS ms RTT)"
	out ""
	out "One accepted address (alice@postfix.test), hyperfine medians of $RUNS runs direct and $RUNS_DELAYED through the proxy. *RTs* = (through the proxy − direct) / $RTT_MS ms; *flights* = what the client waited for in its transcript (the greeting, each reply group, the TLS handshake)."
	out ""
	out "| probe | direct ms | +${DELAY_MS}ms ms | (proxy − direct) / RTT | flights | σ direct / proxy ms | CPU user+sys ms |"
	out "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
	for kind in plain tls; do
		for tool in smtpprobe swaks; do
			name="$tool $kind"
			for port in "$POSTFIX_PORT" "$PROXY_PORT"; do
				if [ "$tool" = smtpprobe ]; then
					if [ "$kind" = plain ]; then
						load c < <(sp_server "$port" --tls none alice@postfix.test)
					else
						load c < <(sp_server "$port" "${TLS_SP[@]}" alice@postfix.test)
					fi
				else
					if [ "$kind" = plain ]; then
						load c < <(sw "$port" alice@postfix.test)
					else
						load c < <(sw "$port" alice@postfix.test "${TLS_SW[@]}")
					fi
				fi
				if [ "$port" = "$POSTFIX_PORT" ]; then
					runs=$RUNS warm=3
				else
					runs=$RUNS_DELAYED warm=1
					CMDS["$name"]=$(shown "${c[@]}")
				fi
				hf "$name ($([ "$port" = "$PROXY_PORT" ] && echo proxy || echo direct))" "$runs" "$warm" "${c[@]}"
				med["$port"]=$HF
			done
			# The transcript, through the proxy.
			if [ "$tool" = smtpprobe ]; then
				tr=$("${c[@]}" -v 2>&1 >/dev/null)
			else
				tr=$("${c[@]}" 2>&1)
			fi
			n=$(flights <<<"$tr")
			printf '%s\n' "$tr" >"$WORK/transcript.$tool.$kind"
			read -r dm _ dsd _ _ du ds <<<"${med[$POSTFIX_PORT]}"
			read -r pm _ psd _ _ _ _ <<<"${med[$PROXY_PORT]}"
			out "| $name | $dm | $pm | $(awk -v p="$pm" -v d="$dm" -v r="$RTT_MS" 'BEGIN { printf "%.2f", (p - d) / r }') | $n | $dsd / $psd | $(awk -v u="$du" -v s="$ds" 'BEGIN { printf "%.1f", u + s }') |"
		done
	done
	out ""
	out "Commands (through the proxy; direct: \`\$POSTFIX\` for \`\$PROXY\`):"
	out ""
	for name in "smtpprobe plain" "smtpprobe tls" "swaks plain" "swaks tls"; do
		out "    ${CMDS[$name]}"
	done
	out ""
	out "smtpprobe's transcript with STARTTLS (\`-v\`, through the proxy), the flights it waited for marked:"
	out ""
	out "$(awk '
		/^S: / { mark = last != "S" ? "   <- flight " ++n : ""; last = "S" }
		/^C: / { mark = ""; last = "C" }
		/^\*\*\* starting TLS/ { mark = "   <- flight " ++n " (TLS handshake)"; last = "T" }
		/^\*\*\* TLS established/ { mark = "" }
		/^(S: |C: |\*\*\* (starting|TLS))/ && !(/^S: 250-/ && mark == "") { printf "    %s%s\n", $0, mark }' \
		"$WORK/transcript.smtpprobe.tls")"
	out ""
}
declare -A CMDS

# ==== 2. 50 recipients at one domain ============================================

part_fifty() {
	local list name runs=$((BATCH_RUNS < 3 ? 3 : BATCH_RUNS)) n0 n1 v sessions refusals one groups ok rej
	out "### 50 recipients at one domain ($RTT_MS ms RTT)"
	out ""
	out "Through the proxy, \`--tls none\` (swaks: no \`--tls\`). fifty-mix.txt: user001, nobody001, ... user025, nobody025 @postfix.test (25 known, 25 unknown, alternating, as run.sh's batch); fifty-known.txt: user001..user050; fifty-goodfirst.txt: user001..user025, then nobody001..nobody025; fifty-mostlybad.txt: user001..user005, then nobody001..nobody045; fifty-lostbet.txt: known users at the 1st, 8th, ... 43rd place (where smtpprobe's first group samples a session of 50), unknown ones at the other 43. hyperfine, $runs runs each (median); sessions and refusals from one more run, from Postfix's log (\`disconnect from\` lines, \`rcpt=accepted/sent\`); RCPT TO commands per flight from the transcript of another run (smtpprobe: \`-v\`; the made-up address of the catch-all check is one of them)."
	out ""
	hf "one probe, proxy" "$RUNS_DELAYED" 1 "${SP1[@]}"
	one=$(cut -d' ' -f1 <<<"$HF")
	out "| run | median ms | × one probe ($one ms) | sessions | RCPT TO per flight, per session | RCPTs refused per session | Postfix error-limit log lines | verdicts |"
	out "| --- | ---: | ---: | ---: | --- | --- | ---: | --- |"
	for list in $FIFTY_LISTS; do
		for name in smtpprobe swaks; do
			if [ "$name" = smtpprobe ]; then
				load c < <(sp_server "$PROXY_PORT" --tls none --input "$WORK/$list.txt")
			else
				load c < <(sw "$PROXY_PORT" "$(paste -sd, "$WORK/$list.txt")")
			fi
			CMDS["$name $list"]=$(shown "${c[@]}")
			hf "$name $list" "$runs" 1 "${c[@]}"
			settle
			n0=$(disconnects)
			e0=$(grep -cE 'too many errors|error limit' "$POSTFIX_LOG")
			if [ "$name" = smtpprobe ]; then
				timeout "$RUN_LIMIT" "${c[@]}" --json >"$WORK/out" 2>/dev/null
				v=$(verdicts "$WORK/out")
			else
				timeout "$RUN_LIMIT" "${c[@]}" >"$WORK/out" 2>&1
				groups=$(rcpt_groups <"$WORK/out")
				ok=$(grep -c '^<-  250 2\.1\.5' "$WORK/out")
				rej=$(grep -cE '^<\*\* 5[0-9][0-9] ' "$WORK/out")
				v="$ok accepted, $rej rejected"
				[ $((ok + rej)) -lt 50 ] &&
					v+=", $((50 - ok - rej)) without a verdict ($(grep -E '^<\*\* 4[0-9][0-9] ' "$WORK/out" | head -1 | cut -c5-))"
			fi
			settle
			n1=$(disconnects)
			sessions=$((n1 - n0))
			e1=$(grep -cE 'too many errors|error limit' "$POSTFIX_LOG")
			refusals=$(grep -E 'postfix/smtpd\[[0-9]+\]: disconnect from' "$POSTFIX_LOG" | tail -n "$sessions" |
				grep -oE 'rcpt=[0-9]+(/[0-9]+)?' | awk -F'[=/]' '{ printf "%s%d", sep, (NF > 2 ? $3 - $2 : 0); sep = ", " }')
			if [ "$name" = smtpprobe ]; then
				# Once more with -v (text), for the transcript.
				timeout "$RUN_LIMIT" "${c[@]}" -v >/dev/null 2>"$WORK/transcript"
				groups=$(rcpt_groups <"$WORK/transcript")
				settle
			fi
			read -r m _ <<<"$HF"
			out "| $name $list | $m | $(div "$m" "$one" 2) | $sessions | $groups | $refusals | $((e1 - e0)) | $v |"
		done
	done
	out ""
	list=${FIFTY_LISTS%% *}
	out "Commands (the other lists the same with their file):"
	out ""
	out "    $(shown "${SP1[@]}")"
	out "    ${CMDS[smtpprobe $list]}"
	out "    $(sed -E 's/--to [^ ]+/--to ...(the 50 of the list, comma-separated)/' <<<"${CMDS[swaks $list]}")"
	out ""
}
load SP1 < <(sp_server "$PROXY_PORT" --tls none alice@postfix.test)

# ==== 3. many addresses over many domains =================================================

# batch_row NAME VERDICT_CHECK CMD...: BATCH_RUNS runs; the median wall time
# and that run's CPU, RSS and Postfix sessions. JSON output assumed.
BR=
batch_rows() {
	local name=$1 i n0 d0 sess v line
	shift
	: >"$WORK/runs"
	for ((i = 0; i < BATCH_RUNS; i++)); do
		settle
		n0=$(disconnects)
		d0=$(drops_now)
		timed "$name (run $((i + 1))/$BATCH_RUNS)" "$@"
		[ "$RC" -lt 124 ] || die "$name: exit $RC (timeout or signal): $(tail -3 "$WORK/err")" 1
		v=$(verdicts "$WORK/out")
		settle
		sess=$(($(disconnects) - n0))
		echo "$T_WALL $T_USER $T_SYS $T_RSS $sess $RC $T_BUSY|$v|$(rcpts_per_session "$sess")|$(drops_since "$d0")" >>"$WORK/runs"
	done
	# The median run by wall time.
	line=$(sort -n "$WORK/runs" | awk -v k=$(((BATCH_RUNS + 1) / 2)) 'NR == k')
	BR=$line
	BR_ALL=$(cut -d' ' -f1 "$WORK/runs" | paste -sd' ')
}
# The table row of the median run: LABEL | wall | user | sys | RSS | sessions
# | RCPTs per session | DNS drops | busy | exit | verdicts
batch_row() {
	local line v w u s r sess rc busy drops rps
	IFS='|' read -r line v rps drops <<<"$BR"
	read -r w u s r sess rc busy <<<"$line"
	out "| $1 ($BR_ALL) | $w | $u | $s | $(div "$r" 1024) | $sess | $rps | $drops | $busy | $rc | $v |"
}

part_domains() {
	local per=$((DOMAIN_ADDRS / DOMAINS)) v n0 i d sess
	out "### $DOMAIN_ADDRS addresses over $DOMAINS domains ($RTT_MS ms RTT, -j $DOMAINS)"
	out ""
	out "domains.txt: user001@d0001.test, user001@d0002.test, ... user$(printf %03d "$per")@d$(printf %04d "$DOMAINS").test ($per per domain, the domain turning fastest); every userNNN exists, the catch-all check's made-up address is refused. unbound answers MX 10 mx.dNNNN.test, A 127.0.0.1 (DNS is not delayed); every session goes through the proxy. $BATCH_RUNS runs each, the median by wall time (all walls in brackets); /usr/bin/time (%M is the peak RSS of \`-v\`)."
	out ""
	out "| run | wall s | user s | sys s | peak RSS MiB | Postfix sessions | RCPT TO per session, median (min-max) | UDP datagrams dropped: all (at unbound) | machine CPU busy % | exit | verdicts |"
	out "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |"
	load c < <(sp_mx "$PROXY_PORT" --json --tls none -j "$DOMAINS" --input "$WORK/domains.txt")
	CMDS[domains]=$(shown "${c[@]}")
	batch_rows "smtpprobe -j $DOMAINS, $DOMAIN_ADDRS addresses" "${c[@]}"
	batch_row "smtpprobe --tls none"

	load c < <(sp_mx "$PROXY_PORT" --json "${TLS_SP[@]}" -j "$DOMAINS" --input "$WORK/domains.txt")
	CMDS[domains-tls]=$(shown "${c[@]}")
	batch_rows "smtpprobe STARTTLS -j $DOMAINS, $DOMAIN_ADDRS addresses" "${c[@]}"
	batch_row "smtpprobe STARTTLS"

	# The same list straight to Postfix: what the machine itself needs.
	load c < <(sp_mx "$POSTFIX_PORT" --json --tls none -j "$DOMAINS" --input "$WORK/domains.txt")
	CMDS[domains-direct]=$(shown "${c[@]}")
	batch_rows "smtpprobe -j $DOMAINS, $DOMAIN_ADDRS addresses, direct" "${c[@]}"
	batch_row "smtpprobe --tls none, direct (no delay)"

	# swaks: one session per domain with its addresses, pipelined, all
	# domains at once (xargs -P), as a user would script it.
	for ((i = 1; i <= DOMAINS; i++)); do
		d=$(dom "$i")
		printf '%s\n' "$(grep "@$d\$" "$WORK/domains.txt" | paste -sd,)"
	done >"$WORK/domains.swaks"
	cat >"$WORK/swaks-domains.sh" <<-'EOF'
		#!/bin/bash
		# swaks-domains.sh LISTS JOBS PORT SWAKS HELO: one swaks per line of
		# LISTS (the comma-separated addresses of one domain), JOBS at a time.
		lists=$1 jobs=$2 port=$3 swaks=$4 helo=$5
		xargs -P "$jobs" -I{} "$swaks" --to {} --from '<>' --helo "$helo" --server 127.0.0.1 --port "$port" \
			--quit-after RCPT --timeout 10 --pipeline <"$lists"
	EOF
	settle
	n0=$(disconnects)
	timed "swaks, one session per domain" bash "$WORK/swaks-domains.sh" "$WORK/domains.swaks" "$DOMAINS" "$PROXY_PORT" "$SWAKS" "$HELO"
	settle
	sess=$(($(disconnects) - n0))
	v="$(grep -c '^<-  250 2\.1\.5' "$WORK/out") accepted, $(grep -cE '^<\*\* [45][0-9][0-9] ' "$WORK/out") refused"
	out "| swaks, one pipelined session per domain, $DOMAINS at a time (1 run) | $T_WALL | $T_USER | $T_SYS | $(div "$T_RSS" 1024) (one process) | $sess | $(rcpts_per_session "$sess") | - | $T_BUSY | $RC | $v |"
	out ""
	out "Commands:"
	out ""
	out "    ${CMDS[domains]}"
	out "    ${CMDS[domains-tls]}"
	out "    ${CMDS[domains-direct]}"
	out "    xargs -P $DOMAINS -I{} swaks --to {} --from '<>' --helo $HELO --server 127.0.0.1 --port \$PROXY --quit-after RCPT --timeout 10 --pipeline < domains.swaks   # one line per domain: its $per addresses, comma-separated"
	out ""
}

# ==== 4. peak RSS at -j 256, a silent domain at the head ==================================

part_rss() {
	local n label slow v n0 d0 sess list
	out "### Peak RSS at -j $RSS_J, a silent domain at the head"
	out ""
	out "rss-N.txt: slow@slow.test, then N addresses over $RSS_DOMAINS domains (as domains.txt: userNNN@d0001.test.., the domain turning fastest). slow.test's MX is 127.0.0.2, where fakesmtp (tests/cli/silent.dialog) accepts the connection at the proxy's port and never speaks; smtpprobe's default timeouts (greeting: 30 s), so in input order (the default) nothing after the head can be written for 30 s. Everything else goes through the proxy ($RTT_MS ms RTT). "sorted by domain": the last list with each domain's addresses together (sort -t@ -k2,2 -s). distinct-N.txt: N addresses x@n000001.test.. at N different domains, which unbound answers NXDOMAIN at once: a list with many domains. One run each; /usr/bin/time %M (the peak RSS of \`-v\`)."
	out ""
	out "| list | wall s | user s | sys s | peak RSS MiB | Postfix sessions | RCPT TO per session, median (min-max) | UDP datagrams dropped: all (at unbound) | machine CPU busy % | exit | verdicts | slow@slow.test |"
	out "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- | --- |"
	for list in $(for n in $RSS_LISTS; do echo "rss:$n"; done) "nohead:${RSS_LISTS##* }" "sorted:${RSS_LISTS##* }" \
		$(for n in $RSS_LISTS; do echo "distinct:$n"; done); do
		n=${list#*:}
		case $list in
		rss:*)
			{ echo slow@slow.test; addrs "$n" "$RSS_DOMAINS"; } >"$WORK/rss.txt"
			label="rss-$n.txt (1 + $n)"
			"$FAKESMTP" --listen "127.0.0.2:$PROXY_PORT" --script "$SRCDIR/tests/cli/silent.dialog" \
				--log "$WORK/silent.log" --timeout "$SILENT_FOR" >/dev/null 2>"$WORK/silent.err" &
			SILENT_PID=$!
			wait_until 50 pid_listens "$SILENT_PID" "$PROXY_PORT" t ||
				die "fakesmtp did not listen on 127.0.0.2:$PROXY_PORT: $(cat "$WORK/silent.err")"
			;;
		nohead:*)
			addrs "$n" "$RSS_DOMAINS" >"$WORK/rss.txt"
			label="$n addresses over $RSS_DOMAINS domains, no slow domain"
			;;
		sorted:*)
			addrs "$n" "$RSS_DOMAINS" | sort -t@ -k2,2 -s >"$WORK/rss.txt"
			label="$n addresses over $RSS_DOMAINS domains, sorted by domain, no slow domain"
			;;
		distinct:*)
			awk -v n="$n" 'BEGIN { for (i = 1; i <= n; i++) printf "x@n%06d.test\n", i }' >"$WORK/rss.txt"
			label="distinct-$n.txt ($n domains, NXDOMAIN)"
			;;
		esac
		load c < <(printf '%s\0' "$SMTPPROBE" --helo "$HELO" --resolver "127.0.0.1:$UNBOUND_PORT" \
			--port "$PROXY_PORT" --json --tls none -j "$RSS_J" --input "$WORK/rss.txt")
		CMDS[rss]=$(shown "${c[@]}" | sed 's/rss\.txt/rss-N.txt/')
		settle
		n0=$(disconnects)
		d0=$(drops_now)
		timed "rss: $label, -j $RSS_J" "${c[@]}"
		stop_pid "$SILENT_PID"
		SILENT_PID=
		[ "$RC" -lt 124 ] || die "rss $label: exit $RC: $(tail -3 "$WORK/err")" 1
		settle
		sess=$(($(disconnects) - n0))
		v=$(verdicts "$WORK/out")
		slow=$(jq -r 'select(.address == "slow@slow.test") | "\(.verdict) \(.step) \(.failure): \(.message // "")"' "$WORK/out" | head -1)
		out "| $label | $T_WALL | $T_USER | $T_SYS | $(div "$T_RSS" 1024) | $sess | $(rcpts_per_session "$sess") | $(drops_since "$d0") | $T_BUSY | $RC | $v | ${slow:--} |"
	done
	out ""
	out "Command (the same for every list):"
	out ""
	out "    ${CMDS[rss]}"
	out ""
}

# ==== 5. CPU per STARTTLS probe ======================================================

part_cpu() {
	local what rc v cpu cpus busy line base_cpu='' diff
	out "### CPU per STARTTLS probe (direct, no delay)"
	out ""
	out "cpu.txt: user001@d0001.test .. user001@d$(printf %04d "$CPU_N").test: $CPU_N domains, one address each, so one session and one full handshake each (TLS 1.3, x25519, the test CA's P-256 certificate). Straight to Postfix, \`--port \$POSTFIX\`. CPU = user + sys of the whole run (/usr/bin/time, 10 ms resolution) / $CPU_N; the median of $BATCH_RUNS runs. The --tls none row is the same work without TLS: the difference is what TLS costs per probe. With \`SSL_CERT_FILE=ca.pem\` OpenSSL's default store is the test CA alone instead of the system bundle (\`/etc/ssl/certs/ca-certificates.crt\`, $(grep -c 'BEGIN CERTIFICATE' /etc/ssl/certs/ca-certificates.crt 2>/dev/null) certificates)."
	out ""
	out "| batch of $CPU_N probes | user + sys s, each run | CPU per probe ms (median) | − --tls none, per probe ms | machine CPU busy % | exit | verdicts |"
	out "| --- | --- | ---: | ---: | ---: | ---: | --- |"
	for what in none tls tls-ownstore; do
		case $what in
		none) load c < <(sp_mx "$POSTFIX_PORT" --json --tls none --input "$WORK/cpu.txt") ;;
		*) load c < <(sp_mx "$POSTFIX_PORT" --json "${TLS_SP[@]}" --input "$WORK/cpu.txt") ;;
		esac
		if [ "$what" = tls-ownstore ]; then
			c=(env "SSL_CERT_FILE=$CA" "SSL_CERT_DIR=$WORK/nonexistent" "${c[@]}")
		fi
		CMDS["cpu $what"]=$(shown "${c[@]}")
		batch_rows "cpu: $CPU_N probes, $what" "${c[@]}"
		IFS='|' read -r line v _ _ <<<"$BR"
		read -r _ _ _ _ _ rc busy <<<"$line"
		# CPU: the median over the runs (not the run of median wall time).
		cpus=$(awk '{ printf "%s%.2f", sep, $2 + $3; sep = " " }' "$WORK/runs")
		cpu=$(tr ' ' '\n' <<<"$cpus" | median | awk -v n="$CPU_N" '{ printf "%.2f", $1 * 1000 / n }')
		if [ "$what" = none ]; then
			base_cpu=$cpu diff=-
		else
			diff=$(awk -v a="$cpu" -v b="$base_cpu" 'BEGIN { printf "%.2f", a - b }')
		fi
		out "| $what | $cpus | $cpu | $diff | $busy | $rc | $v |"
	done
	out ""
	out "One probe per process (hyperfine, $RUNS runs, mean user + sys as hyperfine reports it):"
	out ""
	out "| one probe | wall median ms | user ms | sys ms | user+sys ms |"
	out "| --- | ---: | ---: | ---: | ---: |"
	local name
	for name in "smtpprobe --tls none" "smtpprobe STARTTLS" "smtpprobe STARTTLS, SSL_CERT_FILE=ca.pem" "swaks" "swaks STARTTLS"; do
		case $name in
		"smtpprobe --tls none") load c < <(sp_server "$POSTFIX_PORT" --tls none alice@postfix.test) ;;
		"smtpprobe STARTTLS") load c < <(sp_server "$POSTFIX_PORT" "${TLS_SP[@]}" alice@postfix.test) ;;
		"smtpprobe STARTTLS, SSL_CERT_FILE=ca.pem")
			load c < <(sp_server "$POSTFIX_PORT" "${TLS_SP[@]}" alice@postfix.test)
			c=(env "SSL_CERT_FILE=$CA" "SSL_CERT_DIR=$WORK/nonexistent" "${c[@]}")
			;;
		swaks) load c < <(sw "$POSTFIX_PORT" alice@postfix.test) ;;
		"swaks STARTTLS") load c < <(sw "$POSTFIX_PORT" alice@postfix.test "${TLS_SW[@]}") ;;
		esac
		CMDS["one $name"]=$(shown "${c[@]}")
		hf "cpu one: $name" "$RUNS" 3 "${c[@]}"
		read -r m _ _ _ _ u s <<<"$HF"
		out "| $name | $m | $u | $s | $(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.1f", u + s }') |"
	done
	out ""
	if [ "$HAVE_VALGRIND" = 1 ]; then
		out "Instructions (valgrind --tool=callgrind: user space, whole process, one run each; the parts are inclusive counts from callgrind_annotate --inclusive=yes). The batch rows are cpu.txt's first $CG_N addresses ($CG_N domains, $CG_N handshakes):"
		out ""
		out "| run | total | per probe | loading the system store (SSL_CTX_set_default_verify_paths) | handshakes (SSL_do_handshake, chain verification included) | certificate audits (tls_info_collect) |"
		out "| --- | ---: | ---: | ---: | ---: | ---: |"
		local env_pre total store hs audit n
		head -n "$CG_N" "$WORK/cpu.txt" >"$WORK/cg-batch.txt"
		ir_of() { awk -v f="$1" '$0 ~ "[ :]" f "( |$)" { gsub(/,/, "", $1); print $1; exit }' "$WORK/cg.txt"; }
		mi() { if [[ ${1:-} =~ ^[0-9]+$ ]]; then printf '%s M' "$(div "$1" 1000000 "${2:-1}")"; else printf -- '-'; fi; }
		for name in "one probe, STARTTLS" "one probe, STARTTLS, SSL_CERT_FILE=ca.pem" "one probe, --tls none" \
			"$CG_N probes, STARTTLS" "$CG_N probes, --tls none"; do
			env_pre=() n=1
			case $name in
			"one probe, --tls none") load c < <(sp_server "$POSTFIX_PORT" --tls none alice@postfix.test) ;;
			"one probe, STARTTLS"*) load c < <(sp_server "$POSTFIX_PORT" "${TLS_SP[@]}" alice@postfix.test) ;;
			*"probes, STARTTLS") load c < <(sp_mx "$POSTFIX_PORT" --json "${TLS_SP[@]}" --input "$WORK/cg-batch.txt"); n=$CG_N ;;
			*"probes, --tls none") load c < <(sp_mx "$POSTFIX_PORT" --json --tls none --input "$WORK/cg-batch.txt"); n=$CG_N ;;
			esac
			case $name in *ca.pem) env_pre=(env "SSL_CERT_FILE=$CA" "SSL_CERT_DIR=$WORK/nonexistent") ;; esac
			log "callgrind: $name"
			rm -f "$WORK/cg.out"
			timeout "$CALLGRIND_TIME_LIMIT" "${env_pre[@]}" valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.out" \
				"${c[@]}" </dev/null >"$WORK/cg.stdout" 2>"$WORK/cg.err"
			total=$(sed -n 's/^summary: //p' "$WORK/cg.out" 2>/dev/null)
			callgrind_annotate --inclusive=yes --threshold=100 "$WORK/cg.out" >"$WORK/cg.txt" 2>/dev/null
			store=$(ir_of SSL_CTX_set_default_verify_paths)
			hs=$(ir_of SSL_do_handshake)
			audit=$(ir_of tls_info_collect)
			out "| $name | $(mi "$total") | $(mi "$((${total:-0} / n))" 2) | $(mi "$store") | $(mi "$hs") | $(mi "$audit") |"
			CMDS["cg $name"]="${env_pre[*]:+$(shown "${env_pre[@]}") }valgrind --tool=callgrind $(shown "${c[@]}")"
		done
		out ""
	fi
	out "Commands:"
	out ""
	for name in "cpu none" "cpu tls" "cpu tls-ownstore" "one smtpprobe STARTTLS" "one swaks STARTTLS"; do
		out "    ${CMDS[$name]}"
	done
	if [ "$HAVE_VALGRIND" = 1 ]; then
		out "    ${CMDS[cg one probe, STARTTLS]}"
		out "    ${CMDS[cg $CG_N probes, STARTTLS]}"
	fi
	out ""
}

for p in $PARTS; do
	case $p in
	rt | fifty | domains | rss | cpu) "part_$p" ;;
	*) die "unknown part $p (PARTS: rt fifty domains rss cpu)" ;;
	esac
done

# Nothing may have gone past RCPT TO: no DATA/BDAT, no queued message.
settle
forbidden=$(postfix_log_count ' (data|bdat)=|qmgr\[[0-9]+\]: [0-9A-F]+: from=|cleanup\[[0-9]+\]: [0-9A-F]+: message-id=')
SESSIONS=$(disconnects)
[ "$forbidden" -eq 0 ] || die "Postfix logged DATA/BDAT or a queued message ($forbidden lines)" 1
ERRLIM=$(postfix_log_count 'too many errors|hard error limit|soft error limit')
T_END=$(date +%s)

# ---- report ------------------------------------------------------------------------

ver_sp=${SMTPPROBE_DESCRIBE:-$(git -C "$SRCDIR" describe --always --dirty --tags 2>/dev/null || echo unknown)}
cat <<EOF
## Batches at the protocol minimum: results

- date: $(date -u +%Y-%m-%dT%H:%M:%SZ); bench time $((T_END - T_START)) s; load average (1/5/15 min) at start $LOAD_START, at end $(cut -d' ' -f1-3 /proc/loadavg)
- machine: $(nproc) CPU ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, Debian $(cat /etc/debian_version 2>/dev/null), Linux $(uname -r)
- smtpprobe $ver_sp ($("$SMTPPROBE" --version 2>/dev/null)); swaks $("$SWAKS" --version 2>/dev/null | sed -n 's/^swaks version //p'); $(openssl version 2>/dev/null | cut -d' ' -f1-2); Postfix $(postconf -dh mail_version 2>/dev/null); unbound $(unbound -V 2>/dev/null | sed -n 's/^Version //p'); $(hyperfine --version)
- unbound so-rcvbuf: ${UNBOUND_RCVBUF:-the system default}; datagrams its socket dropped during the whole bench: $(ub_drops); UDP receive-buffer drops on the machine meanwhile (RcvbufErrors): $(($(udp_drops) - UDP_DROPS0))
- ports: \$POSTFIX $POSTFIX_PORT (Postfix, STARTTLS offered), \$PROXY $PROXY_PORT (delayproxy, +$DELAY_MS ms each way, the TCP handshake not delayed), \$UNBOUND $UNBOUND_PORT; files are in the script's work directory
- Postfix saw $SESSIONS sessions, none with DATA/BDAT; lines about its error limits in its log: $ERRLIM

EOF
printf '%s\n' "${ROWS[@]}"
exit 0
