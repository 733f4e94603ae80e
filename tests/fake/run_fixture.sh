#!/usr/bin/env bash
# run_fixture.sh - run smtpprobe against fakesmtp for one fixture file and
# check the result against the fixture's expect-* header (docs/fixtures.md).
#
#   run_fixture.sh FIXTURE [FAKESMTP]
#
# SMTPPROBE (env) is the smtpprobe binary; FAKESMTP comes from the second
# argument (what meson passes) or the environment (for runs by hand).
# Exit status: 0 pass, 1 an expectation failed, 99 the harness itself could
# not run (meson's "hard error").
#
# No sleeps: fakesmtp prints its port once it listens, and its stdout closes
# when it exits, so both waits are reads on its stdout with a bound.
#
# TLS fixtures (`certs: yes`) need the openssl CLI: the test PKI is made by
# tests/tls/gen-certs.sh into CERTS_DIR (meson sets it to a directory in the
# build tree, so it is made once) or, unset, into this run's work directory.
set -u

fixture=${1:-}
FAKESMTP=${2:-${FAKESMTP:-}}
SMTPPROBE=${SMTPPROBE:-}
FAKE_TIMEOUT=10     # fakesmtp's own bound on every wait
PROBE_TIMEOUT=60    # hard bound on one smtpprobe run

name=$(basename "${fixture:-?}" .dialog)

harness_error() {
	echo "ERROR $name: $*" >&2
	exit 99
}

[[ -n $fixture && -r $fixture ]] || harness_error "usage: run_fixture.sh FIXTURE [FAKESMTP] (fixture '${fixture}' not readable)"
[[ -n $FAKESMTP && -x $FAKESMTP ]] || harness_error "fakesmtp not found: pass it as the second argument or set FAKESMTP"
[[ -n $SMTPPROBE && -x $SMTPPROBE ]] || harness_error "smtpprobe not found: set SMTPPROBE"
command -v jq >/dev/null || harness_error "jq is needed (Debian package jq; bash .ci/setup installs it)"
# !data lets a client send DATA: it is for the real MTAs of the bounce
# tests, never for a smtpprobe scenario, which must fail if DATA is sent.
grep -qE '^!data([[:blank:]]|$)' "$fixture" &&
	harness_error "$fixture: !data has no place in a smtpprobe fixture (smtpprobe never sends DATA)"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fixture_dir=$(cd "$(dirname "$fixture")" && pwd)

# ---- the header ---------------------------------------------------------------

# Single-valued keys; the repeatable ones are arrays below.
declare -A one=()
single_keys=" description args address listen certs cert expect-exit expect-verdict expect-step expect-failure expect-code expect-enhanced "
expect_text=() expect_note=() expect_client=() expect_no_client=() expect_jq=() expect_absent=() env_vars=()
expect_json_text=() expect_absent_bytes=()

lineno=0
saw_separator=0
while IFS= read -r line || [[ -n $line ]]; do
	lineno=$((lineno + 1))
	line=${line%$'\r'}
	if [[ $line == --- ]]; then
		saw_separator=1
		break
	fi
	[[ -z ${line//[[:space:]]/} || $line == \#* ]] && continue
	[[ $line == *:* ]] || harness_error "$fixture:$lineno: want 'key: value', got: $line"
	key=${line%%:*}
	value=${line#*:}
	value=${value#"${value%%[![:space:]]*}"}     # trim leading blanks
	value=${value%"${value##*[![:space:]]}"}     # and trailing ones
	case $key in
	expect-text) expect_text+=("$value") ;;
	expect-note) expect_note+=("$value") ;;
	expect-client) expect_client+=("$value") ;;
	expect-no-client) expect_no_client+=("$value") ;;
	expect-jq) expect_jq+=("$value") ;;
	expect-absent)
		[[ -n $value ]] || harness_error "$fixture:$lineno: expect-absent wants a text"
		expect_absent+=("$value")
		;;
	expect-json-text)
		[[ -n $value ]] || harness_error "$fixture:$lineno: expect-json-text wants a text"
		expect_json_text+=("$value")
		;;
	expect-absent-bytes)
		[[ $value =~ ^[0-9A-Fa-f]{2}([[:blank:]]*[0-9A-Fa-f]{2})*$ ]] ||
			harness_error "$fixture:$lineno: expect-absent-bytes wants hex pairs, as !raw"
		expect_absent_bytes+=("${value//[[:blank:]]/}")
		;;
	env)
		[[ $value =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || harness_error "$fixture:$lineno: want 'env: NAME=VALUE', got: $value"
		env_vars+=("$value")
		;;
	*)
		[[ $single_keys == *" $key "* ]] || harness_error "$fixture:$lineno: unknown header key '$key'"
		[[ -z ${one[$key]+set} ]] || harness_error "$fixture:$lineno: '$key' given twice"
		one[$key]=$value
		;;
	esac
done <"$fixture"
((saw_separator)) || harness_error "$fixture: no '---' line between header and dialogue"
[[ -n ${one[address]:-} ]] || harness_error "$fixture: no 'address:' in the header"

# TLS: which certificate fakesmtp shows (certs: yes, or any cert:).
cert=${one[cert]:-}
use_certs=0
if [[ -n $cert || ${one[certs]:-no} == yes ]]; then
	use_certs=1
	cert=${cert:-valid}
	case $cert in
	valid | expired | wrongname | selfsigned | partialwild | cnonly | wildcard) ;;
	*) harness_error "$fixture: cert: wants valid, expired, wrongname, selfsigned, partialwild, cnonly or wildcard, got '$cert'" ;;
	esac
elif [[ -n ${one[certs]:-} && ${one[certs]} != no ]]; then
	harness_error "$fixture: certs: wants yes or no"
fi
if ((!use_certs)) && [[ "${one[args]:-} ${env_vars[*]}" == *@CA@* ]]; then
	harness_error "$fixture: @CA@ needs 'certs: yes'"
fi

listen=${one[listen]:-127.0.0.1}
if [[ $listen == *:* ]]; then listen_spec="[$listen]:0"; else listen_spec="$listen:0"; fi

# ---- run ----------------------------------------------------------------------

tmp=$(mktemp -d "${TMPDIR:-/tmp}/smtpprobe-fixture.XXXXXX") || harness_error "mktemp failed"
fake_pid=
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	if [[ -n $fake_pid ]] && kill -0 "$fake_pid" 2>/dev/null; then
		kill "$fake_pid" 2>/dev/null
	fi
	if [[ -n ${KEEP_TMP:-} ]]; then
		echo "kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT

cert_args=()
certs_dir=
if ((use_certs)); then
	command -v openssl >/dev/null || harness_error "the openssl command is needed for TLS fixtures (Debian package openssl)"
	certs_dir=${CERTS_DIR:-$tmp/certs}
	"$here/../tls/gen-certs.sh" "$certs_dir" >"$tmp/certs.err" 2>&1 ||
		harness_error "gen-certs.sh failed: $(head -c 500 "$tmp/certs.err")"
	certs_dir=$(cd "$certs_dir" && pwd)
	cert_args=(--cert "$certs_dir/$cert.pem" --key "$certs_dir/$cert.key")
fi

coproc FAKE { exec "$FAKESMTP" --listen "$listen_spec" --script "$fixture" --log "$tmp/fake.log" \
	--timeout "$FAKE_TIMEOUT" ${cert_args[@]+"${cert_args[@]}"} 2>"$tmp/fake.err"; }
# shellcheck disable=SC2153 # FAKE_PID is set by coproc
fake_pid=$FAKE_PID
# Keep our own copy: bash closes the coproc's descriptors once it has exited.
exec {fake_out}<&"${FAKE[0]}"

# The synchronisation point: fakesmtp prints its port once it is listening.
if ! IFS= read -r -t "$FAKE_TIMEOUT" -u "$fake_out" port || [[ ! $port =~ ^[0-9]+$ ]]; then
	cat "$tmp/fake.err" >&2
	harness_error "fakesmtp did not start listening"
fi

# @PORT@ @HOST@ @CA@ @DIR@ in args and env values.
expand() {
	local s=$1
	s=${s//@CA@/$certs_dir/ca.pem}
	s=${s//@PORT@/$port}
	s=${s//@HOST@/$listen}
	s=${s//@DIR@/$fixture_dir}
	printf '%s' "$s"
}
args=$(expand "${one[args]:-}")
read -r -a argv <<<"$args"
probe_cmd=("$SMTPPROBE" --json "${argv[@]}" "${one[address]}")

# smtpprobe's environment: none of the caller's SMTPPROBE_* settings (a
# password or proxy there would change the test), plus the fixture's env:.
env_cmd=(env)
while IFS= read -r var; do
	[[ $var == SMTPPROBE_* ]] && env_cmd+=(-u "$var")
done < <(compgen -e)
for kv in ${env_vars[@]+"${env_vars[@]}"}; do
	env_cmd+=("$(expand "$kv")")
done

"${env_cmd[@]}" timeout -k 5 "$PROBE_TIMEOUT" "${probe_cmd[@]}" >"$tmp/out" 2>"$tmp/err" </dev/null
probe_rc=$?

# smtpprobe is done, so fakesmtp should finish too: its stdout closing says
# it exited. If it is still waiting (say, for a session never opened), its
# own timeout ends it first; the kill is only a backstop.
while :; do
	IFS= read -r -t $((FAKE_TIMEOUT + 5)) -u "$fake_out" _
	st=$?
	((st == 0)) || break
done
fake_killed=0
if ((st > 128)); then
	kill "$fake_pid" 2>/dev/null
	fake_killed=1
fi
wait "$fake_pid"
fake_rc=$?
fake_pid=
exec {fake_out}<&-

# ---- check --------------------------------------------------------------------

problems=0
mismatch() { # WHAT EXPECTED ACTUAL
	problems=$((problems + 1))
	printf 'FAIL %s\n  - expected: %s\n  + actual:   %s\n' "$1" "$2" "$3"
}

json=
if ((probe_rc == 124 || probe_rc == 137)); then
	mismatch "smtpprobe finishes" "within ${PROBE_TIMEOUT}s" "killed by timeout"
fi
nlines=$(awk 'END { print NR }' "$tmp/out")
if [[ $nlines != 1 || $(wc -l <"$tmp/out") != 1 ]]; then
	mismatch "JSON output" "exactly one line ending in a newline" "$nlines line(s)"
elif [[ $(jq -s 'length == 1 and (.[0] | type) == "object"' "$tmp/out" 2>&1) != true ]]; then
	mismatch "JSON output" "one valid JSON object" "$(head -c 300 "$tmp/out")"
else
	json=$(<"$tmp/out")
fi

jq_c() { jq -c "$1" <<<"$json" 2>&1; }
jq_string() { jq -cn --arg v "$1" '$v'; }

check() { # WHAT FILTER EXPECTED_JSON
	local got
	got=$(jq_c "$2")
	[[ $got == "$3" ]] || mismatch "$1" "$3" "$got"
}

if [[ -n ${one[expect-exit]:-} ]]; then
	[[ $probe_rc == "${one[expect-exit]}" ]] || mismatch "exit status" "${one[expect-exit]}" "$probe_rc"
fi

if [[ -n $json ]]; then
	for field in verdict step failure; do
		key=expect-$field
		[[ -n ${one[$key]:-} ]] && check "$field" ".$field" "$(jq_string "${one[$key]}")"
	done

	if [[ -n ${one[expect-code]:-} ]]; then
		if [[ ${one[expect-code]} == null ]]; then
			check "reply" ".reply" "null"
		else
			[[ ${one[expect-code]} =~ ^[0-9]{3}$ ]] || harness_error "expect-code wants three digits or null"
			check "reply.code" ".reply.code" "${one[expect-code]}"
		fi
	fi
	if [[ -n ${one[expect-enhanced]:-} ]]; then
		want=null
		[[ ${one[expect-enhanced]} != null ]] && want=$(jq_string "${one[expect-enhanced]}")
		check "reply.enhanced" ".reply.enhanced" "$want"
	fi

	for s in ${expect_text[@]+"${expect_text[@]}"}; do
		s=${s//\\n/$'\n'}    # "\n" in the fixture stands for the line join
		got=$(jq -c --arg s "$s" '(.reply.text // "") | contains($s)' <<<"$json" 2>&1)
		[[ $got == true ]] || mismatch "reply.text contains" "$(jq_string "$s")" "$(jq_c .reply.text)"
	done
	for s in ${expect_note[@]+"${expect_note[@]}"}; do
		got=$(jq -c --arg s "$s" 'any(.notes[]?; contains($s))' <<<"$json" 2>&1)
		[[ $got == true ]] || mismatch "a note contains" "$(jq_string "$s")" "$(jq_c .notes)"
	done
	for e in ${expect_jq[@]+"${expect_jq[@]}"}; do
		got=$(jq_c "$e")
		[[ $got == true ]] || mismatch "jq: $e" "true" "$got"
	done
fi

# What the client said, from fakesmtp's log: expect-client in order, none of
# expect-no-client, and never DATA or BDAT.
client_lines=()
[[ -r $tmp/fake.log ]] && mapfile -t client_lines < <(sed -n 's/^C: //p' "$tmp/fake.log")
i=0
for pat in ${expect_client[@]+"${expect_client[@]}"}; do
	found=0
	while ((i < ${#client_lines[@]})); do
		l=${client_lines[i]}
		i=$((i + 1))
		# shellcheck disable=SC2053 # the unquoted right side is the glob
		if [[ $l == "$pat" || $l == $pat ]]; then
			found=1
			break
		fi
	done
	((found)) || mismatch "client sent (in this order)" "$pat" "no such line after the earlier matches"
done
for pat in ${expect_no_client[@]+"${expect_no_client[@]}"}; do
	for l in ${client_lines[@]+"${client_lines[@]}"}; do
		# shellcheck disable=SC2053
		if [[ $l == "$pat" || $l == $pat ]]; then
			mismatch "client never sends" "$pat" "$l"
			break
		fi
	done
done
# Secrets: not a trace in anything smtpprobe printed.
for s in ${expect_absent[@]+"${expect_absent[@]}"}; do
	if grep -qF -- "$s" "$tmp/out" "$tmp/err"; then
		mismatch "absent from stdout and stderr" "$(jq_string "$s") nowhere" "$(cat "$tmp/out" "$tmp/err" | grep -cF -- "$s") line(s) hold it"
	fi
done
# The JSON as printed, before any parser decodes its escapes.
for s in ${expect_json_text[@]+"${expect_json_text[@]}"}; do
	grep -qF -- "$s" "$tmp/out" || mismatch "stdout (the JSON text) contains" "$s" "$(head -c 300 "$tmp/out")"
done
# Raw bytes (a bidi override, a C1 control) nowhere in stdout: compared as
# blank-separated hex pairs, so a match always starts on a byte.
out_hex=" $(od -An -v -tx1 "$tmp/out" | tr -s ' \n' '  ') "
for h in ${expect_absent_bytes[@]+"${expect_absent_bytes[@]}"}; do
	h=$(sed 's/../& /g; s/ $//' <<<"${h,,}")
	[[ $out_hex == *" $h "* ]] && mismatch "bytes absent from stdout" "no $h" "present: $(head -c 300 "$tmp/out")"
done
if grep -q '^FORBIDDEN: ' "$tmp/fake.log" 2>/dev/null; then
	mismatch "no DATA or BDAT" "none" "$(grep '^FORBIDDEN: ' "$tmp/fake.log" | head -3 | tr '\n' ' ')"
fi
if ((fake_killed)); then
	mismatch "fakesmtp exits by itself" "exit after smtpprobe" "still running; killed"
elif ((fake_rc != 0)); then
	mismatch "fakesmtp exit status (script ran fully)" "0" "$fake_rc: $(grep -E '^(MISMATCH|ERROR|FORBIDDEN): ' "$tmp/fake.log" 2>/dev/null | head -3 | tr '\n' ' ')"
fi

# ---- report -------------------------------------------------------------------

if ((problems == 0)); then
	echo "PASS $name"
	exit 0
fi
{
	echo "FAIL $name: $problems problem(s)"
	if ((${#env_vars[@]})); then
		echo "--- environment:"
		printf ' %s\n' "${env_vars[@]}"
	fi
	echo "--- command:"
	printf ' %q' "${probe_cmd[@]}"
	echo
	echo "--- exit status: $probe_rc"
	echo "--- stdout:"
	cat "$tmp/out"
	echo "--- stderr:"
	cat "$tmp/err"
	echo "--- fakesmtp log (exit status $fake_rc):"
	cat "$tmp/fake.log" 2>/dev/null
	if [[ -s $tmp/fake.err ]]; then
		echo "--- fakesmtp stderr:"
		cat "$tmp/fake.err"
	fi
}
exit 1
