# shellcheck shell=bash
# Run a private unbound that answers only from local zones, for tests.
#
#   unbound_start ZONEFILE...
#       Writes a config in a mktemp directory (interface 127.0.0.1 on a free
#       port, no chroot, no user switch, no remote control, no syslog) with
#       the given fixture files appended (each starts with "server:" and may
#       add forward-zone clauses; @PORT@ in them becomes unbound's port),
#       starts `unbound -d` in the background and waits (bounded) until it
#       has started and listens. Exports UNBOUND_PORT, UNBOUND_PID and
#       UNBOUND_DIR.
#   unbound_stop
#       Kills it by PID and removes the directory. Safe to call twice.
#
# Nothing leaves the machine: the root zone is a static local zone (every
# name not in a fixture is NXDOMAIN), no trust anchor is configured and only
# the iterator module runs. A fixture may forward a zone to 127.0.0.1@@PORT@,
# i.e. to this unbound itself: queries it sends come from 127.0.0.5, which
# it refuses, so such names get SERVFAIL at once (see servfail.conf).

_unbound_lib_dir=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=common.sh
. "$_unbound_lib_dir/common.sh"

UNBOUND_PID=
UNBOUND_PORT=
UNBOUND_DIR=

_unbound_config() {
	local port=$1 f
	shift
	cat <<-EOF
		server:
		  verbosity: 1
		  log-queries: yes
		  interface: 127.0.0.1
		  port: $port
		  do-ip6: no
		  so-reuseport: no
		  do-daemonize: no
		  chroot: ""
		  username: ""
		  directory: "$UNBOUND_DIR"
		  pidfile: ""
		  use-syslog: no
		  logfile: "$UNBOUND_DIR/unbound.log"
		  num-threads: 1
		  module-config: "iterator"
		  access-control: 127.0.0.0/8 allow
		  # Forwarded queries (fixtures forwarding to 127.0.0.1@$port)
		  # leave from 127.0.0.5 and are refused: instant SERVFAIL.
		  outgoing-interface: 127.0.0.5
		  access-control: 127.0.0.5/32 refuse
		  do-not-query-localhost: no
		  # Never ask the internet anything.
		  local-zone: "." static
		remote-control:
		  control-enable: no
	EOF
	for f in "$@"; do
		printf '\n# ---- %s\n' "$f"
		sed -e "s|@PORT@|$port|g" "$f"
	done
}

unbound_start() {
	require_tool unbound unbound
	local port f
	if [ "$#" -eq 0 ]; then
		echo "unbound_start: no zone file given" >&2
		return 1
	fi
	if [ -n "$UNBOUND_PID" ]; then
		echo "unbound_start: already running (pid $UNBOUND_PID)" >&2
		return 1
	fi
	for f in "$@"; do
		if [ ! -r "$f" ]; then
			echo "unbound_start: cannot read $f" >&2
			return 1
		fi
	done
	UNBOUND_DIR=$(mktemp -d /tmp/smtpprobe-unbound.XXXXXX) || return 1
	for _ in 1 2 3 4 5; do
		port=$(free_port) || break
		_unbound_config "$port" "$@" >"$UNBOUND_DIR/unbound.conf"
		if ! unbound-checkconf "$UNBOUND_DIR/unbound.conf" >"$UNBOUND_DIR/checkconf.log" 2>&1; then
			echo "unbound_start: bad configuration:" >&2
			cat "$UNBOUND_DIR/checkconf.log" >&2
			break
		fi
		: >"$UNBOUND_DIR/unbound.log"
		unbound -d -c "$UNBOUND_DIR/unbound.conf" \
			</dev/null >"$UNBOUND_DIR/unbound.err" 2>&1 &
		UNBOUND_PID=$!
		# Ready once it logged "start of service" and its socket is up;
		# bounded at 10 s, given up at once if unbound exited.
		if wait_until 100 _unbound_ready "$port"; then
			UNBOUND_PORT=$port
			export UNBOUND_PORT UNBOUND_PID UNBOUND_DIR
			return 0
		fi
		kill -TERM "$UNBOUND_PID" 2>/dev/null || true
		wait "$UNBOUND_PID" 2>/dev/null || true
		UNBOUND_PID=
		# Another process took the port between the check and the bind.
		if ! grep -qi 'address already in use' "$UNBOUND_DIR/unbound.err" "$UNBOUND_DIR/unbound.log"; then
			break
		fi
	done
	echo "unbound_start: unbound did not start:" >&2
	cat "$UNBOUND_DIR/unbound.err" "$UNBOUND_DIR/unbound.log" >&2 2>/dev/null || true
	unbound_stop
	return 1
}

# For wait_until: 0 ready, 1 not yet, 2 unbound exited.
_unbound_ready() {
	kill -0 "$UNBOUND_PID" 2>/dev/null || return 2
	grep -q 'start of service' "$UNBOUND_DIR/unbound.log" 2>/dev/null &&
		pid_listens "$UNBOUND_PID" "$1" u
}

_unbound_gone() {
	! kill -0 "$UNBOUND_PID" 2>/dev/null
}

unbound_stop() {
	if [ -n "$UNBOUND_PID" ] && kill -0 "$UNBOUND_PID" 2>/dev/null; then
		kill -TERM "$UNBOUND_PID" 2>/dev/null || true
		wait_until 50 _unbound_gone || kill -KILL "$UNBOUND_PID" 2>/dev/null || true
		wait "$UNBOUND_PID" 2>/dev/null || true
	fi
	UNBOUND_PID=
	UNBOUND_PORT=
	if [ -n "$UNBOUND_DIR" ] && [ -d "$UNBOUND_DIR" ]; then
		rm -rf "$UNBOUND_DIR"
	fi
	UNBOUND_DIR=
	return 0
}
