#!/bin/bash
# --shard K/N with GNU parallel, as on N machines: every shard probes a
# disjoint set of domains, the union of the shards is a single run, and no
# address is probed twice. The domains are address literals on loopback
# with a port nothing listens on (refused at once).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_tool parallel parallel

tmp=$(mktemp -d /tmp/smtpprobe-shard.XXXXXX)
trap 'rm -rf "$tmp"; dns_cleanup' EXIT
port=$(dead_port)
for ip in $(seq 1 12); do
	for u in a b c; do
		echo "$u@[127.0.1.$ip]"
	done
done >"$tmp/list"

"$SMTPPROBE" --json --timeout 3 --port "$port" --input "$tmp/list" >"$tmp/single.jsonl"
parallel --will-cite -j 3 "$SMTPPROBE" --json --timeout 3 --port "$port" --input "$tmp/list" --shard {}/3 '>' "$tmp/shard{}.jsonl" ::: 1 2 3
expect_eq "parallel: every shard ran" "$(ls "$tmp"/shard*.jsonl | wc -l)" 3

addresses() { jq -r .address "$@" | sort; }
expect_eq "the union of the shards is the single run" "$(addresses "$tmp"/shard*.jsonl)" "$(addresses "$tmp/single.jsonl")"
expect_eq "no address twice" "$(addresses "$tmp"/shard*.jsonl | uniq -d | wc -l)" 0
# A domain lives in one shard only.
domains_in() { jq -r .domain "$1" | sort -u; }
overlap=$(comm -12 <(domains_in "$tmp/shard1.jsonl") <(domains_in "$tmp/shard2.jsonl") | wc -l)
expect_eq "shards 1 and 2 share no domain" "$overlap" 0
nonempty=0
for k in 1 2 3; do [ -s "$tmp/shard$k.jsonl" ] && nonempty=$((nonempty + 1)); done
expect_eq "12 domains spread over all 3 shards" "$nonempty" 3
run_probe --shard 4/3 'a@[127.0.0.1]'
expect_eq "--shard 4/3: usage error" "$PROBE_RC" 64
assert_done
