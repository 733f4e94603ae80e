# shellcheck shell=bash
# A DNSSEC-signed test zone behind a validating resolver, all on loopback:
# an authoritative unbound serves the zones (auth-zone, from files), a
# second unbound validates (validator + iterator) with stub zones pointing
# at the first and the test key as its only trust anchor. Queries asked of
# the validator (DNSSEC_PORT) come back with AD for the signed zones and
# without it for unsigned ones. Nothing leaves the machine: both have the
# root as a static local zone; only the served zones are transparent.
#
#   dnssec_init
#       A work directory (DNSSEC_DIR) for keys, zones and configs.
#   dnssec_sign ZONE FILE
#       Signs FILE (a zone file for ZONE, without DNSKEY) with a fresh KSK
#       and ZSK (ldns-keygen, ECDSA P-256) into $DNSSEC_DIR/ZONE.signed,
#       signatures valid from yesterday for 30 days (ldns-signzone), and
#       adds the KSK to the validator's trust anchors.
#   dnssec_start ZONE=FILE...
#       Starts both servers on free ports, serving each FILE as ZONE (a
#       signed file from dnssec_sign, or an unsigned one), and waits
#       (bounded) until both listen. Exports DNSSEC_PORT (the validator),
#       DNSSEC_AUTH_PORT.
#   dnssec_stop
#       Kills both by PID and removes the directory.

_dnssec_lib_dir=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=common.sh
. "$_dnssec_lib_dir/common.sh"

DNSSEC_DIR=
DNSSEC_PORT=
DNSSEC_AUTH_PORT=
_DNSSEC_PIDS=()

dnssec_init() {
	require_tool ldns-keygen ldnsutils
	require_tool ldns-signzone ldnsutils
	require_tool unbound unbound
	DNSSEC_DIR=$(mktemp -d /tmp/smtpprobe-dnssec.XXXXXX) || return 1
	: >"$DNSSEC_DIR/anchors"
}

dnssec_sign() {
	local zone=$1 file=$2 ksk zsk
	(
		cd "$DNSSEC_DIR" || exit 1
		ksk=$(ldns-keygen -a ECDSAP256SHA256 -k "$zone") || exit 1
		zsk=$(ldns-keygen -a ECDSAP256SHA256 "$zone") || exit 1
		# ldns-signzone takes the DNSKEYs from the key files and adds them.
		ldns-signzone -i "$(date -u -d '1 day ago' +%Y%m%d%H%M%S)" -e "$(date -u -d '30 days' +%Y%m%d%H%M%S)" \
			-o "$zone" -f "$zone.signed" "$file" "$ksk" "$zsk" || exit 1
		cat "$ksk.key" >>anchors
	)
}

_dnssec_common() { # PORT NAME
	cat <<-EOF
		server:
		  verbosity: 1
		  interface: 127.0.0.1
		  port: $1
		  do-ip6: no
		  so-reuseport: no
		  do-daemonize: no
		  chroot: ""
		  username: ""
		  directory: "$DNSSEC_DIR"
		  pidfile: ""
		  use-syslog: no
		  logfile: "$DNSSEC_DIR/$2.log"
		  num-threads: 1
		  access-control: 127.0.0.0/8 allow
		  do-not-query-localhost: no
		  local-zone: "." static
	EOF
}

# For wait_until: 0 listening, 1 not yet, 2 the server exited.
_dnssec_ready() {
	kill -0 "$1" 2>/dev/null || return 2
	pid_listens "$1" "$2" u
}

_dnssec_run() { # NAME PORT
	unbound-checkconf "$DNSSEC_DIR/$1.conf" >"$DNSSEC_DIR/$1.check" 2>&1 || {
		echo "dnssec_start: bad $1 configuration: $(cat "$DNSSEC_DIR/$1.check")" >&2
		return 1
	}
	unbound -d -c "$DNSSEC_DIR/$1.conf" </dev/null >"$DNSSEC_DIR/$1.err" 2>&1 &
	local pid=$!
	_DNSSEC_PIDS+=("$pid")
	wait_until 100 _dnssec_ready "$pid" "$2" || {
		echo "dnssec_start: $1 unbound did not start: $(cat "$DNSSEC_DIR/$1.err" "$DNSSEC_DIR/$1.log" 2>/dev/null)" >&2
		return 1
	}
}

dnssec_start() {
	local spec zone file
	DNSSEC_AUTH_PORT=$(free_port) || return 1
	{
		_dnssec_common "$DNSSEC_AUTH_PORT" auth
		echo '  module-config: "iterator"'
		for spec in "$@"; do
			echo "  local-zone: \"${spec%%=*}.\" transparent"
		done
		for spec in "$@"; do
			zone=${spec%%=*}
			file=${spec#*=}
			printf 'auth-zone:\n  name: "%s."\n  zonefile: "%s"\n  for-downstream: yes\n  for-upstream: no\n' \
				"$zone" "$file"
		done
		printf 'remote-control:\n  control-enable: no\n'
	} >"$DNSSEC_DIR/auth.conf"
	_dnssec_run auth "$DNSSEC_AUTH_PORT" || return 1

	DNSSEC_PORT=$(free_port) || return 1
	{
		_dnssec_common "$DNSSEC_PORT" validator
		echo '  module-config: "validator iterator"'
		echo "  trust-anchor-file: \"$DNSSEC_DIR/anchors\""
		echo '  val-log-level: 2'
		for spec in "$@"; do
			echo "  local-zone: \"${spec%%=*}.\" transparent"
		done
		for spec in "$@"; do
			printf 'stub-zone:\n  name: "%s."\n  stub-addr: 127.0.0.1@%s\n' "${spec%%=*}" "$DNSSEC_AUTH_PORT"
		done
		printf 'remote-control:\n  control-enable: no\n'
	} >"$DNSSEC_DIR/validator.conf"
	_dnssec_run validator "$DNSSEC_PORT" || return 1
	export DNSSEC_PORT DNSSEC_AUTH_PORT DNSSEC_DIR
}

dnssec_stop() {
	local pid
	for pid in "${_DNSSEC_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	_DNSSEC_PIDS=()
	[ -n "$DNSSEC_DIR" ] && rm -rf "$DNSSEC_DIR"
	DNSSEC_DIR=
	return 0
}
