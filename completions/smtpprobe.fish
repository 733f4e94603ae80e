# fish completion for smtpprobe(1).
#
# Installed as $datadir/fish/vendor_completions.d/smtpprobe.fish. Options
# with their help, the values of the options that have a fixed set, files
# and directories where an option takes one. tests/cli/docs_sync.sh checks
# that every option of --help is here.

# The arguments are addresses: no file names unless an option asks for one.
complete -c smtpprobe -f
# The first word may name a command; explain reads bounce files.
complete -c smtpprobe -n '__fish_is_first_arg' -a explain -d 'Explain a bounce: step, reply, diagnosis'
complete -c smtpprobe -n '__fish_seen_subcommand_from explain' -F
complete -c smtpprobe -l reprobe -d 'explain: probe each failed recipient now'
complete -c smtpprobe -l reprobe-as-sender -d "explain: probe now with the bounce's sender as MAIL FROM"

complete -c smtpprobe -l from -x -d 'Envelope sender for MAIL FROM (default: <>)'
complete -c smtpprobe -l helo -x -a '(__fish_print_hostnames)' -d 'Name for EHLO/HELO'
complete -c smtpprobe -l server -x -a '(__fish_print_hostnames)' -d 'Probe HOST[:PORT] instead of the MX hosts'
complete -c smtpprobe -l port -x -d 'TCP port for every host (default 25)'
complete -c smtpprobe -l resolver -x -d 'DNS servers IP[:PORT][,...] instead of /etc/resolv.conf'
complete -c smtpprobe -s 4 -l ipv4 -d 'Connect over IPv4 only'
complete -c smtpprobe -s 6 -l ipv6 -d 'Connect over IPv6 only'
complete -c smtpprobe -l all-mx -d 'Probe every MX host and report each one'
complete -c smtpprobe -l no-catch-all -d 'Do not try a made-up recipient after an accepted one'
complete -c smtpprobe -l catch-all -d 'The catch-all check (the default)'
complete -c smtpprobe -l require-mailbox -d 'Exit 79 when the mailbox is unverifiable (catch-all, 252)'
# Its value is optional and goes after '=': fish offers the option alone.
complete -c smtpprobe -l retry-greylist -d 'When greylisted, wait (default 300 s) and retry once'
complete -c smtpprobe -l timeout -x -d 'Timeout in seconds for every step'
complete -c smtpprobe -l size -x -d 'Declare SIZE=N at MAIL FROM'
complete -c smtpprobe -l input -r -F -d 'Read addresses from FILE (- for stdin)'
complete -c smtpprobe -s j -l concurrency -x -d 'Probe up to N addresses at once (default 8)'
complete -c smtpprobe -l per-domain -x -d 'At most N probes at once to one domain (default 1)'
complete -c smtpprobe -l rcpt-per-session -x -d 'Recipients of one domain in one session (default 50)'
complete -c smtpprobe -l max-time -x -d 'Give up on an address after this long (default 300)'
complete -c smtpprobe -l order -x -a 'input completion' -d 'Order of the results'
complete -c smtpprobe -l shard -x -d 'Only the domains of shard K of N'
complete -c smtpprobe -l resume -r -F -d 'Skip addresses with a result in FILE'
complete -c smtpprobe -l expect -r -F -d 'Probe the addresses of FILE and compare each result with its line'
complete -c smtpprobe -l junit -r -F -d 'With --expect, write a JUnit XML report to FILE'
complete -c smtpprobe -l tls -x -d 'TLS mode' -a "auto\t'STARTTLS when offered (default)'
required\t'Fail without STARTTLS'
none\t'Never encrypt'
implicit\t'TLS on connect, port 465'"
complete -c smtpprobe -l tls-verify -d 'Fail unless the certificate chain and host name verify'
complete -c smtpprobe -l tls-name -x -a '(__fish_print_hostnames)' -d 'Name for SNI and certificate checks'
complete -c smtpprobe -l ca-file -r -F -d 'Extra trust anchors (PEM)'
complete -c smtpprobe -l ca-path -x -a '(__fish_complete_directories)' -d 'Extra trust anchors (hashed directory)'
complete -c smtpprobe -l tls-min-version -x -a '1.0 1.1 1.2 1.3' -d 'Lowest TLS version to accept'
complete -c smtpprobe -l auth -x -a '(__fish_complete_users)' -d 'Authenticate as USER'
complete -c smtpprobe -l auth-mech -x -a 'PLAIN LOGIN CRAM-MD5 XOAUTH2' -d 'AUTH mechanism (default: the strongest offered)'
complete -c smtpprobe -l password-file -r -F -d 'Read the AUTH secret from FILE'
complete -c smtpprobe -l allow-plaintext-auth -d 'Allow AUTH on an unencrypted connection'
complete -c smtpprobe -l allow-unverified-auth -d 'Allow AUTH over TLS whose certificate did not verify'
complete -c smtpprobe -l proxy -x -d 'SOCKS5 proxy: socks5://[user:pass@]host:port'
complete -c smtpprobe -l json -d 'Print JSON Lines, one object per address'
complete -c smtpprobe -l format -x -a 'text line csv json' -d 'Output format'
complete -c smtpprobe -l summary -d 'Counts by verdict, category and blame on stderr at the end'
complete -c smtpprobe -n '__fish_is_first_arg' -a audit -d 'Check a domain\'s mail setup (DNS, SMTP, TLS, MTA-STS, TLS-RPT, DANE)'
complete -c smtpprobe -l cert-min-days -x -d 'audit: warn when a certificate expires in fewer than N days (default 14)'
complete -c smtpprobe -l strict -d 'audit: warnings fail too'
complete -c smtpprobe -l junit -r -F -d 'audit: also write a JUnit XML report to FILE'
complete -c smtpprobe -s v -l verbose -d 'Show the SMTP transcript (twice: state changes)'
complete -c smtpprobe -l color -x -a 'auto always never' -d 'Colour the report'
complete -c smtpprobe -s h -l help -d 'Show the help'
complete -c smtpprobe -s V -l version -d 'Show the version'
