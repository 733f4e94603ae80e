#!/bin/bash
# --format line and csv: one result per address (invalid ones too), the
# documented columns, CSV as RFC 4180 read back by Python's csv module,
# formula-like fields neutralised; --json is --format json.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# meson runs on Python, so it is there; the csv module is the independent reader.
require_tool python3 python3

# --- line: good, invalid, bad (two sessions of the fake server).
fake_start 127.0.0.1 "$CLI_TEST_DIR/two-sessions.dialog"
run_probe --format line --timeout 3 --port "$FAKE_PORT" 'good@[127.0.0.1]' 'not valid' 'bad@[127.0.0.1]'
fake_finish
expect_eq "line: exit 65 (invalid input outranks the rejection)" "$PROBE_RC" 65
expect_eq "line: three lines" "$(printf '%s\n' "$PROBE_OUT" | grep -c .)" 3
expect_eq "line: twelve tab-separated fields on every line" \
	"$(printf '%s\n' "$PROBE_OUT" | awk -F'\t' '{ print NF }' | sort -u)" 12
line() { printf '%s\n' "$PROBE_OUT" | sed -n "${1}p"; }
expect_eq "line: accepted" "$(line 1 | cut -f1-9)" \
	"$(printf 'accepted\tgood@[127.0.0.1]\trcpt\t250\t2.1.5\taccepted\tnone\texists\t0')"
expect_eq "line: server host and IP" "$(line 1 | cut -f10,11)" "$(printf '127.0.0.1\t127.0.0.1')"
expect_eq "line: invalid, '-' for what it lacks" "$(line 2 | cut -f1-11)" \
	"$(printf 'error\tnot valid\tinput\t-\t-\taddress_syntax\tlocal\tunknown\t65\t-\t-')"
expect_match "line: invalid says why" "$(line 2 | cut -f12)" '^invalid address: '
expect_eq "line: rejected" "$(line 3 | cut -f1-9)" \
	"$(printf 'rejected\tbad@[127.0.0.1]\trcpt\t550\t5.1.1\trecipient_unknown\trecipient\tnot_found\t67')"
expect_eq "line: grep for the rejected ones" "$(printf '%s\n' "$PROBE_OUT" | grep -P '^rejected\t' | cut -f2)" 'bad@[127.0.0.1]'

# --- csv: a multi-line reply, formula-like and quoted addresses.
csv_check() {  # python: the records as JSON, one list per record
	python3 -c '
import csv, io, json, sys
data = sys.stdin.buffer.read()
print(json.dumps({"crlf": data.count(b"\r\n") == data.count(b"\n") and data.endswith(b"\r\n"),
                  "rows": list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))}))'
}
fake_start 127.0.0.1 "$FIXTURES/smtp/multiline.dialog"
out=$(mktemp)
trap 'rm -f "$out"; dns_cleanup' EXIT
timeout 60 "$SMTPPROBE" --format csv --timeout 3 --server "127.0.0.1:$FAKE_PORT" \
	-- user@example.test '=HYPERLINK("http://x")' '-2+3' '@SUM(1)' 'say "hi"' >"$out" 2>/dev/null
rc=$?
fake_finish
expect_eq "csv: exit 65" "$rc" 65
j=$(csv_check <"$out")
expect_jq "csv: CRLF line ends only" "$j" .crlf true
expect_jq "csv: header and five records" "$j" '.rows | length' 6
expect_jq "csv: header" "$j" '.rows[0] | join(",")' \
	verdict,address,step,failure,code,enhanced,reply,category,blame,mailbox,exit_status,server_host,server_ip,server_port,message
expect_jq "csv: every record has every column" "$j" '[.rows[] | length] | unique | join(",")' 15
expect_eq "csv: every field quoted" "$(tr -d '\r' <"$out" | grep -cvE '^"([^"]|"")*"(,"([^"]|"")*")*$')" 0
expect_jq "csv: rejected at rcpt" "$j" '.rows[1][0:6] | join(" ")' 'rejected user@example.test rcpt rejected 550 5.1.1'
expect_jq "csv: one physical line per record" "$j" '.rows[1][6] | test("Please try double-checking")' true
expect_eq "csv: six physical lines" "$(wc -l <"$out")" 6
expect_jq "csv: server port" "$j" ".rows[1][13]" "$FAKE_PORT"
expect_jq "csv: = neutralised" "$j" '.rows[2][1]' "'=HYPERLINK(\"http://x\")"
expect_jq "csv: - neutralised" "$j" '.rows[3][1]' "'-2+3"
expect_jq "csv: @ neutralised" "$j" '.rows[4][1]' "'@SUM(1)"
expect_jq "csv: quotes doubled and read back" "$j" '.rows[5][1]' 'say "hi"'
expect_jq "csv: an invalid address has its record" "$j" '.rows[5][0:4] | join(" ")' 'error say "hi" input invalid_address'
expect_jq "csv: empty fields for what it lacks" "$j" '.rows[5][4:7] | join("|")' '||'

# --- --json is --format json; a bad --format is a usage error.
run_probe --json 'not valid'
a=$(jq -c 'del(.timings_ms)' <<<"$PROBE_OUT")
run_probe --format json 'not valid'
expect_eq "--format json is --json" "$(jq -c 'del(.timings_ms)' <<<"$PROBE_OUT")" "$a"
run_probe --format xml a@b.test
expect_eq "bad --format: exit 64" "$PROBE_RC" 64
expect_match "bad --format: says which" "$PROBE_ERR" '^smtpprobe: invalid --format "xml": use text, line, csv or json$'
assert_done
