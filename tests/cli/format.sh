#!/bin/bash
# --format line and csv: one result per address (invalid ones too), the
# documented columns, CSV as RFC 4180 read back by Python's csv module,
# formula-like fields neutralised; --json is --format json.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# meson runs on Python, so it is there; the csv module is the independent reader.
require_tool python3 python3

# --- line: good, invalid, bad (two sessions of the fake server).
fake_start 127.0.0.1 "$CLI_TEST_DIR/shared-session.dialog"
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

# --color always: the verdict in its colour, the fields as they were.
run_probe --format line --color always 'not valid'
expect_eq "line --color always: the verdict coloured" "$(cut -f1,2 <<<"$PROBE_OUT")" "$(printf '\033[1;35merror\033[0m\tnot valid')"

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

# --- --summary: on stderr, stdout stays the results alone.
fake_start 127.0.0.1 "$CLI_TEST_DIR/shared-session.dialog"
run_probe --json --summary --timeout 3 --port "$FAKE_PORT" 'good@[127.0.0.1]' 'not valid' 'bad@[127.0.0.1]'
fake_finish
expect_jq "summary: stdout is three JSON objects" "$(jq -s -c . <<<"$PROBE_OUT")" 'map(type) | join(",")' object,object,object
expect_eq "summary: on stderr, after the notice" "$PROBE_ERR" "$(printf '%s\n' \
	'smtpprobe: invalid address "not valid": contains white space outside quotes' \
	'summary: 3 addresses: accepted 1, rejected 1, tempfail 0, error 1 (exit status 65)' \
	'  by category: accepted 1, address_syntax 1, recipient_unknown 1' \
	'  by blame: local 1, none 1, recipient 1')"
# In the user's language, whatever the format.
mo="${SMTPPROBE_LOCALEDIR:-}/ru/LC_MESSAGES/smtpprobe.mo"
if [ -r "$mo" ]; then
	LC_ALL=C.UTF-8 LANGUAGE=ru run_probe --format csv --summary 'not valid' 'also not'
	expect_match "summary in Russian" "$PROBE_ERR" $'итог: 2 адреса: приняты: 0, отклонены: 0, отложены: 0, ошибки: 2 \\(код выхода 65\\)\n  по категориям: address_syntax 2\n  по виновнику: local 2'
fi
# By default only for a person at a terminal, and only for a batch
# (script(1) gives stderr a pty, stdout goes to a file).
require_tool script bsdutils
tty_err() { timeout 30 script -qec "$SMTPPROBE $* >/dev/null" /dev/null | tr -d '\r'; }
expect_eq "TTY, two addresses: a summary" "$(tty_err "'not valid' 'also not'" | grep -c '^summary: 2 addresses: ')" 1
expect_eq "TTY, one address: none" "$(tty_err "'not valid'" | grep -c '^summary:')" 0
run_probe 'not valid' 'also not'
expect_eq "not a TTY: none" "$(grep -c '^summary:' <<<"$PROBE_ERR")" 0

# --- --json is --format json; a bad --format is a usage error.
run_probe --json 'not valid'
a=$(jq -c 'del(.timings_ms)' <<<"$PROBE_OUT")
run_probe --format json 'not valid'
expect_eq "--format json is --json" "$(jq -c 'del(.timings_ms)' <<<"$PROBE_OUT")" "$a"
run_probe --format xml a@b.test
expect_eq "bad --format: exit 64" "$PROBE_RC" 64
expect_match "bad --format: says which" "$PROBE_ERR" '^smtpprobe: invalid --format "xml": use text, line, csv or json$'
assert_done
