# shellcheck shell=bash
# A real HTTPS server for the MTA-STS policy tests: `openssl s_server -HTTP`,
# which answers "GET /PATH" with the file ./PATH of its directory sent as
# is, status line and headers included, so each case writes exactly the
# response it needs (200 text/plain, a redirect, another type, a big body).
#
#   https_certs DIR
#       The test PKI of tests/tls/gen-certs.sh in DIR (ca.pem; mtasts.pem
#       holds mta-sts.example.test and the *.sts.test cases).
#   https_response DOCROOT STATUS CONTENT_TYPE BODYFILE [EXTRA_HEADER]
#       Writes DOCROOT/.well-known/mta-sts.txt as a complete HTTP/1.0
#       response ("" CONTENT_TYPE: no Content-Type header).
#   https_start DOCROOT CERT KEY [ADDRESS]
#       Starts s_server on a free port of ADDRESS (127.0.0.1; "[::1]" for
#       IPv6) in DOCROOT and waits
#       (bounded) until it listens. Sets HTTPS_PORT and HTTPS_PID; each
#       call starts another server (the PIDs are kept for https_stop_all).
#   https_stop_all
#       Kills every server started here, by PID.

_https_lib_dir=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=common.sh
. "$_https_lib_dir/common.sh"

HTTPS_PORT=
HTTPS_PID=
_HTTPS_PIDS=()

https_certs() {
	bash "$_https_lib_dir/../tls/gen-certs.sh" "$1" >/dev/null
}

https_response() {
	local root=$1 status=$2 ctype=$3 body=$4 extra=${5:-}
	mkdir -p "$root/.well-known"
	{
		printf 'HTTP/1.0 %s\r\n' "$status"
		[ -n "$ctype" ] && printf 'Content-Type: %s\r\n' "$ctype"
		[ -n "$extra" ] && printf '%s\r\n' "$extra"
		printf 'Content-Length: %s\r\nConnection: close\r\n\r\n' "$(stat -c %s "$body")"
		cat "$body"
	} >"$root/.well-known/mta-sts.txt"
}

https_start() {
	require_tool openssl openssl
	local root=$1 cert=$2 key=$3 addr=${4:-127.0.0.1} port pid try
	for try in 1 2 3 4 5; do
		port=$(free_port) || return 1
		(cd "$root" && exec openssl s_server -quiet -HTTP -http_server_binmode -accept "$addr:$port" \
			-cert "$cert" -key "$key" -naccept 1000 </dev/null >"$root/.s_server.log" 2>&1) &
		pid=$!
		if wait_until 50 _https_listening "$pid" "$port"; then
			HTTPS_PORT=$port
			HTTPS_PID=$pid
			_HTTPS_PIDS+=("$pid")
			return 0
		fi
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		[ "$try" -lt 5 ] && continue
	done
	echo "https_start: s_server did not listen: $(head -c 300 "$root/.s_server.log" 2>/dev/null)" >&2
	return 1
}

# 0 listening, 1 not yet, 2 the server is gone (give up).
_https_listening() {
	kill -0 "$1" 2>/dev/null || return 2
	pid_listens "$1" "$2"
}

https_stop_all() {
	local pid
	for pid in "${_HTTPS_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	_HTTPS_PIDS=()
}
