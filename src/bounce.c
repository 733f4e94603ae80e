/*
 * bounce.c - read a bounce (see bounce.h).
 *
 * The human-readable part is read as a sequence of events found by tables
 * of wordings, not per MTA code paths: recipient addresses, remote hosts
 * ("H[IP]", "H [IP]", "talking to H"), SMTP replies (a 4xx/5xx code where
 * a reply can start: a line start, after "said:", "<<<", "returned '",
 * "reason:"), connection failures ("Connection refused", "timed out") and
 * the phrases that name a step ("in reply to RCPT TO command", "after
 * RCPT TO", ">>> RCPT To:"). Each reply or failure is one refusal; the
 * nearest recipient, host and step phrase before it (or the "(in reply
 * to ...)" after it) complete it. The delivery-status part, when there is
 * one, says who failed and with which status; the text adds the step and
 * the address, matched by recipient.
 */
#include "bounce.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "mem.h"
#include "mime.h"
#include "text.h"

#define EVENTS_MAX 512   /* refusals read from one text; more are hostile or not a bounce */
/*
 * How far before a refusal its recipient, host and step are looked for:
 * every search is bounded by it, so a hostile text costs at most
 * EVENTS_MAX times this, not its length squared.
 */
#define LOOKBACK_MAX 16384

static const struct {
	const char *name;
	const char *label;
} step_names[BSTEP_COUNT] = {
	[BSTEP_NONE] = { "", "" },
	[BSTEP_CONNECT] = { "connect", N_("connect") },
	[BSTEP_BANNER] = { "banner", N_("greeting") },
	[BSTEP_EHLO] = { "ehlo", "EHLO" },
	[BSTEP_HELO] = { "helo", "HELO" },
	[BSTEP_STARTTLS] = { "starttls", "STARTTLS" },
	[BSTEP_MAIL] = { "mail", "MAIL FROM" },
	[BSTEP_RCPT] = { "rcpt", "RCPT TO" },
	[BSTEP_DATA] = { "data", "DATA" },
	[BSTEP_END_OF_DATA] = { "end_of_data", N_("end of data") },
};

static const enum step probe_steps[BSTEP_COUNT] = {
	[BSTEP_NONE] = STEP_NONE, [BSTEP_CONNECT] = STEP_CONNECT, [BSTEP_BANNER] = STEP_BANNER,
	[BSTEP_EHLO] = STEP_EHLO, [BSTEP_HELO] = STEP_HELO, [BSTEP_STARTTLS] = STEP_STARTTLS,
	[BSTEP_MAIL] = STEP_MAIL, [BSTEP_RCPT] = STEP_RCPT,
	/* A probe never sends DATA: the diagnosis goes by the reply alone. */
	[BSTEP_DATA] = STEP_NONE, [BSTEP_END_OF_DATA] = STEP_NONE,
};

static const char *const source_names[BSRC_COUNT] = {
	[BSRC_DSN] = "dsn", [BSRC_POSTFIX] = "postfix", [BSRC_EXIM] = "exim", [BSRC_SENDMAIL] = "sendmail",
	[BSRC_QMAIL] = "qmail", [BSRC_COURIER] = "courier", [BSRC_OPENSMTPD] = "opensmtpd",
	[BSRC_EXCHANGE] = "exchange", [BSRC_GMAIL] = "gmail", [BSRC_YAHOO] = "yahoo", [BSRC_SES] = "ses",
	[BSRC_GENERIC] = "generic",
};

const char *bounce_step_name(enum bounce_step s)
{
	return (unsigned)s < BSTEP_COUNT ? step_names[s].name : "";
}

const char *bounce_step_label(enum bounce_step s)
{
	return (unsigned)s < BSTEP_COUNT ? step_names[s].label : "";
}

const char *bounce_source_name(enum bounce_source s)
{
	return (unsigned)s < BSRC_COUNT ? source_names[s] : "generic";
}

enum step bounce_probe_step(enum bounce_step s)
{
	return (unsigned)s < BSTEP_COUNT ? probe_steps[s] : STEP_NONE;
}

bool bounce_probe_can_reproduce(enum bounce_step s)
{
	return s != BSTEP_DATA && s != BSTEP_END_OF_DATA;
}

/* ---- the tables: wordings, lower case ---- */

/*
 * Phrases that name the step. When several occur before a reply, the one
 * nearest to it wins; a phrase inside a longer one of the table (the
 * "data command" in "end of data command") does not count.
 */
static const struct {
	const char *phrase;
	enum bounce_step step;
} step_phrases[] = {
	{ "end of data command", BSTEP_END_OF_DATA },
	{ "end of data", BSTEP_END_OF_DATA },
	{ "end of message", BSTEP_END_OF_DATA },
	{ "message body", BSTEP_END_OF_DATA },
	{ "message content", BSTEP_END_OF_DATA },
	{ "while sending message", BSTEP_END_OF_DATA },
	{ "after sending message", BSTEP_END_OF_DATA },
	{ "after the message was sent", BSTEP_END_OF_DATA },
	{ "[body]", BSTEP_END_OF_DATA },
	{ "failed after i sent the message", BSTEP_END_OF_DATA },
	{ "[end_of_data]", BSTEP_END_OF_DATA },
	{ ">>> .", BSTEP_END_OF_DATA },
	{ "<<< .", BSTEP_END_OF_DATA },
	{ "data command", BSTEP_DATA },
	{ "after data", BSTEP_DATA },
	{ "after pipelined data", BSTEP_DATA },
	{ ">>> data", BSTEP_DATA },
	{ "<<< data", BSTEP_DATA },
	{ "[data]", BSTEP_DATA },
	{ "while sending data", BSTEP_DATA },
	{ "rcpt to", BSTEP_RCPT },
	{ "does not like recipient", BSTEP_RCPT },
	{ "rcpt command", BSTEP_RCPT },
	{ "[rcpt_to]", BSTEP_RCPT },
	{ "mail from", BSTEP_MAIL },
	{ "sender was rejected", BSTEP_MAIL },
	{ "does not like sender", BSTEP_MAIL },
	{ "mail command", BSTEP_MAIL },
	{ "[mail_from]", BSTEP_MAIL },
	{ "ehlo", BSTEP_EHLO },
	{ "lhlo", BSTEP_EHLO },
	{ "helo", BSTEP_HELO },
	{ "my name was rejected", BSTEP_HELO },
	{ "starttls", BSTEP_STARTTLS },
	{ "initial connection", BSTEP_BANNER },
	{ "initial server greeting", BSTEP_BANNER },
	{ "greeting", BSTEP_BANNER },
	{ "banner", BSTEP_BANNER },
	{ "greeting failed", BSTEP_BANNER },
	{ "refused to talk to me", BSTEP_BANNER },
	{ "[connect]", BSTEP_BANNER },
	{ "connect to", BSTEP_CONNECT },
	{ "connecting to", BSTEP_CONNECT },
	{ "while connecting", BSTEP_CONNECT },
	{ "could not connect", BSTEP_CONNECT },
	{ "couldn't connect", BSTEP_CONNECT },
	{ "unable to connect", BSTEP_CONNECT },
	{ "failed to connect", BSTEP_CONNECT },
	{ "requests to connect", BSTEP_CONNECT },
	{ "establish an smtp connection", BSTEP_CONNECT },
	{ "establish a connection", BSTEP_CONNECT },
};

/* Failures without a reply: what happened to the connection. The step comes from the phrases above. */
static const struct {
	const char *phrase;
	enum failure failure;
	enum bounce_step step;  /* when no step phrase says otherwise */
} failure_phrases[] = {
	{ "connection refused", FAIL_REFUSED, BSTEP_CONNECT },
	{ "no route to host", FAIL_UNREACHABLE, BSTEP_CONNECT },
	{ "network is unreachable", FAIL_UNREACHABLE, BSTEP_CONNECT },
	{ "host is unreachable", FAIL_UNREACHABLE, BSTEP_CONNECT },
	{ "host unreachable", FAIL_UNREACHABLE, BSTEP_CONNECT },
	{ "connection timed out", FAIL_TIMEOUT, BSTEP_CONNECT },
	{ "timed out", FAIL_TIMEOUT, BSTEP_NONE },
	/* The sender's queue gave up: every try failed for days (Exim, OpenSMTPD, Sendmail, Postfix). */
	{ "retry timeout exceeded", FAIL_TIMEOUT, BSTEP_NONE },
	{ "envelope expired", FAIL_TIMEOUT, BSTEP_NONE },
	{ "message expired", FAIL_TIMEOUT, BSTEP_NONE },
	{ "delivery time expired", FAIL_TIMEOUT, BSTEP_NONE },
	{ "too long in queue", FAIL_TIMEOUT, BSTEP_NONE },
	{ "could not be delivered within", FAIL_TIMEOUT, BSTEP_NONE },
	{ "cannot be delivered for", FAIL_TIMEOUT, BSTEP_NONE },
	{ "have been failing for a long time", FAIL_TIMEOUT, BSTEP_NONE },
	{ "retry time not reached for any host", FAIL_TIMEOUT, BSTEP_NONE },
	/* The sender's resolver: the domain or its mail host does not exist (qmail, Postfix, Exim). */
	{ "host not found, try again", FAIL_SERVFAIL, BSTEP_NONE },
	{ "couldn't find any host named", FAIL_NXDOMAIN, BSTEP_NONE },
	{ "host or domain name not found", FAIL_NXDOMAIN, BSTEP_NONE },
	{ "unrouteable mail domain", FAIL_NXDOMAIN, BSTEP_NONE },
	/* Exim: no router took it; for a remote domain, the domain has no MX and no address */
	{ "unrouteable address", FAIL_NXDOMAIN, BSTEP_NONE },
	{ "domain not found", FAIL_NXDOMAIN, BSTEP_NONE },
	{ "no mx or a records", FAIL_NXDOMAIN, BSTEP_NONE },
	{ "all relevant mx records point to non-existent hosts", FAIL_NO_ADDRESS, BSTEP_NONE },
	{ "lost connection", FAIL_CLOSED, BSTEP_NONE },
	{ "connection reset", FAIL_CLOSED, BSTEP_NONE },
	{ "connection closed", FAIL_CLOSED, BSTEP_NONE },
	{ "remote end closed connection", FAIL_CLOSED, BSTEP_NONE },
	/* Last: Exchange's and Gmail's words for any failure to connect; the cause, when the line gives it ("[H IP: timed out]"), comes first. */
	{ "able to establish an smtp connection", FAIL_UNREACHABLE, BSTEP_CONNECT },
	{ "did not accept our requests to connect", FAIL_UNREACHABLE, BSTEP_CONNECT },
};

/* Where a reply can start: the text just before the code (after white space on its line). */
static const char reply_openers[] = ":;'\"(<#-";

/* Words before "[IP]" that are not a host name. */
static const char *const not_hosts[] = { "host", "client", "ip", "address", "from", "by", "helo" };

/* Phrases that name the host before it: "talking to mx.example.com.:" (Sendmail). */
static const char *const host_intros[] = {
	"talking to host ", "talking to ", "connected to ", "remote host ", "remote server ", "remote mta ",
	"remote server: ", "remote host: ", "transferring to ", "giving up on ", "connection to ",
	"rejected your message: ",  /* Exchange: "The following organization rejected your message: H." */
};

/* Phrases that name the host (an address, as qmail writes it) after it: "192.0.2.1 does not like recipient". */
static const char *const host_outros[] = { " does not like", " failed after", " but sender", " but greeting", " but my name" };

/*
 * The formats: who wrote the text, by its own wordings (looked for in the
 * text, the From and the Subject, lower case). Vendors before MTAs: a
 * provider's text may quote an MTA's wording, not the other way round.
 */
static const struct {
	enum bounce_source source;
	const char *phrases;  /* alternatives separated by '|' */
} formats[] = {
	{ BSRC_SES, "amazonses|an error occurred while trying to deliver the mail to the following recipients" },
	{ BSRC_GMAIL, "google tried to deliver|the response from the remote server was|the response was:|"
	              "wasn't delivered to|delivery to the following recipient failed|the error that the other server returned was|"
	              "googlemail.com|@google.com" },
	{ BSRC_YAHOO, "yahoo|sorry, we were unable to deliver your message" },
	{ BSRC_EXCHANGE, "remote server returned|diagnostic information for administrators|generating server:|"
	                 "delivery has failed to these recipients|your message couldn't be delivered|"
	                 "couldn't be delivered to|microsoft exchange|microsoft outlook|outlook.com|microsoft.com|"
	                 "generierender server|remoteserver hat|serveur de génération|serveur distant a retourné" },
	{ BSRC_POSTFIX, "this is the mail system at host|(in reply to|postfix" },
	{ BSRC_EXIM, "created automatically by mail delivery software|smtp error from remote mail server|"
	             "following address(es) failed|exim" },
	{ BSRC_SENDMAIL, "transcript of session follows|while talking to|the original message was received at|sendmail" },
	{ BSRC_QMAIL, "qmail-send|remote host said:|does not like recipient|giving up on" },
	{ BSRC_COURIER, "courier" },
	{ BSRC_OPENSMTPD, "this is the mailer-daemon, please do not reply|error has occurred while attempting to deliver|opensmtpd" },
};

/* Lines after which the text quotes the returned message (its headers give the sender). */
static const char *const returned_markers[] = {
	"this is a copy of the message",
	"copy of the body of the message",
	"below this line is a copy of the message",
	"below is a copy of the original message",
	"original message follows",
	"----- original message -----",
	"original message headers:",
};

/* A delay notice, not a failure (for bounces without DSN Action). */
static const char *const delay_phrases[] = {
	"warning only", "warning message only", "not yet been delivered", "delivery is delayed", "delivery has been delayed",
	"delivery delayed", "(delay)", "delayed mail", "still being retried", "will retry", "will keep trying",
	"will continue to try", "could not send message for past", "has been delayed", "delivery incomplete",
	"is delayed", "temporary failure report", "delay notification",
};

/* Auto-replies: Subject beginnings (lower case) that say so. */
static const char *const autoreply_subjects[] = {
	"automatic reply", "auto-reply", "autoreply", "auto reply", "out of office", "out of the office", "vacation",
	"away from", "abwesenheitsnotiz", "réponse automatique", "respuesta automática", "risposta automatica",
	"automatisch antwoord", "auto:",
};

/* Fields that mark an auto-reply (RFC 3834's Auto-Submitted is checked apart: bounces carry it too). */
static const char *const autoreply_fields[] = { "X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Vacation" };

/* Subject words of a bounce (lower case), for a text no MTA format claims. */
static const char *const bounce_subjects[] = {
	"undeliver", "undelivered", "delivery", "failure", "failed", "returned", "not delivered", "rejected", "bounce",
	"delayed", "nondeliver", "non-deliver", "unzustellbar", "non remis",
};

/* Local parts that are never a failed recipient. */
static const char *const daemon_locals[] = { "mailer-daemon", "postmaster", "noreply", "no-reply" };

/* ---- small helpers ---- */

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static void copy_field(char *dst, size_t dstsz, const char *s, size_t len)
{
	while (len > 0 && (is_wsp(*s) || *s == '\n')) {
		s++;
		len--;
	}
	while (len > 0 && (is_wsp(s[len - 1]) || s[len - 1] == '\n'))
		len--;
	if (len >= dstsz)
		len = dstsz - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

/* Last occurrence of needle (lower case) in hay[a, b), or -1. */
static long last_in(const char *hay, size_t a, size_t b, const char *needle)
{
	size_t n = strlen(needle);
	long found = -1;
	for (size_t i = a; i + n <= b;) {
		const char *p = memmem(hay + i, b - i, needle, n);
		if (!p || (size_t)(p - hay) + n > b)
			break;
		found = p - hay;
		i = (size_t)found + 1;
	}
	return found;
}

static bool contains(const char *lowered, size_t len, const char *needle)
{
	return memmem(lowered, len, needle, strlen(needle)) != NULL;
}

static bool any_of(const char *lowered, size_t len, const char *alternatives)
{
	const char *p = alternatives;
	while (*p) {
		size_t n = strcspn(p, "|");
		if (n && memmem(lowered, len, p, n))
			return true;
		p += n;
		if (*p == '|')
			p++;
	}
	return false;
}

static bool local_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit((char)c) || c >= 0x80 ||
	       (c && strchr("!#$%&'*+/=?^_`{|}~.-", c));
}

static bool domain_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit((char)c) || c >= 0x80 || c == '.' || c == '-';
}

/* An address around the '@' at at: its span [*start, *end), or false. */
static bool addr_around(const char *t, size_t n, size_t at, size_t *start, size_t *end)
{
	size_t s = at;
	while (s > 0 && at - s < 64 && local_char((unsigned char)t[s - 1]))
		s--;
	while (s < at && (t[s] == '.' || t[s] == '\''))
		s++;
	size_t e = at + 1;
	while (e < n && e - at < 256 && domain_char((unsigned char)t[e]))
		e++;
	while (e > at + 1 && (t[e - 1] == '.' || t[e - 1] == '-'))
		e--;
	if (s == at || e == at + 1)
		return false;
	if (!memchr(t + at + 1, '.', e - at - 1))
		return false;
	*start = s;
	*end = e;
	return true;
}

/* The first address in s (a header value: "Name <a@b>", "<a@b>", "a@b"), into out. */
static bool first_address(const char *s, char *out, size_t outsz)
{
	if (!s)
		return false;
	size_t n = strlen(s);
	const char *lt = strchr(s, '<');
	if (lt) {
		const char *gt = strchr(lt, '>');
		if (gt) {
			copy_field(out, outsz, lt + 1, (size_t)(gt - lt - 1));
			if (strchr(out, '@'))
				return true;
		}
	}
	const char *at = memchr(s, '@', n);
	size_t a, b;
	if (at && addr_around(s, n, (size_t)(at - s), &a, &b)) {
		copy_field(out, outsz, s + a, b - a);
		return true;
	}
	out[0] = '\0';
	return false;
}

static bool valid_ip(const char *s, char *out, size_t outsz)
{
	unsigned char buf[16];
	const char *p = s;
	if (strncasecmp(p, "ipv6:", 5) == 0)
		p += 5;
	if (inet_pton(AF_INET, p, buf) == 1 || inet_pton(AF_INET6, p, buf) == 1) {
		snprintf(out, outsz, "%s", p);
		return true;
	}
	return false;
}

static bool hostname_token(const char *s, size_t len)
{
	if (len < 3 || len > 253 || !memchr(s, '.', len))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!domain_char((unsigned char)s[i]) || (unsigned char)s[i] >= 0x80)
			return false;
	return s[0] != '.' && s[0] != '-';
}

/* ---- the text: events ---- */

struct entry {
	size_t pos;                /* where the refusal starts in the text */
	size_t ls;                 /* ... and where its line starts */
	char recipient[BOUNCE_ADDR_MAX];
	char host[256];
	char ip[46];
	enum bounce_step step;
	bool have_reply;
	struct reply reply;
	enum failure failure;
	bool used;
};

struct span {
	size_t start, end;        /* the reply's octets in the text */
	size_t tail_end;          /* the "(in reply to ...)" after it */
};

struct scan {
	const char *t;            /* the text, LF line ends */
	char *low;                /* lower-cased copy */
	size_t n;
	const char *exclude;      /* an address that is not a recipient (the sender), or "" */
	bool rcpt_lines;          /* a line "<addr>:" alone names a failed recipient (the message looks like a bounce) */
	long first_addr;          /* where the first recipient-like address is; -1 before it was looked for */
	struct entry *e;
	size_t ne;
	struct span *spans;       /* the replies read so far, in text order */
	size_t nspans;
};

/* Lines are taken as at most LOOKBACK_MAX octets either side: a hostile one-line text stays linear. */
static size_t line_start(const char *t, size_t pos)
{
	size_t stop = pos > LOOKBACK_MAX ? pos - LOOKBACK_MAX : 0;
	while (pos > stop && t[pos - 1] != '\n')
		pos--;
	return pos;
}

static size_t line_end(const char *t, size_t n, size_t pos)
{
	size_t avail = n - pos < LOOKBACK_MAX ? n - pos : LOOKBACK_MAX;
	const char *lf = memchr(t + pos, '\n', avail);
	return lf ? (size_t)(lf - t) : pos + avail;
}

static size_t indent_of(const char *t, size_t ls, size_t le)
{
	size_t k = ls;
	while (k < le && is_wsp(t[k]))
		k++;
	return k - ls;
}

/* The line's text after its indentation and a "<<< "/">>> " transcript prefix. */
static size_t skip_prefix(const char *t, size_t ls, size_t le)
{
	size_t k = ls;
	while (k < le && is_wsp(t[k]))
		k++;
	if (le - k >= 3 && (memcmp(t + k, "<<<", 3) == 0 || memcmp(t + k, ">>>", 3) == 0)) {
		k += 3;
		while (k < le && is_wsp(t[k]))
			k++;
	}
	return k;
}

/* Whether an SMTP reply can start at i: a 4xx/5xx code where a server's words are quoted. */
static bool reply_start(const char *t, size_t n, size_t i)
{
	if (i + 3 > n || (t[i] != '4' && t[i] != '5') || !is_digit(t[i + 1]) || !is_digit(t[i + 2]))
		return false;
	if (i + 3 < n && t[i + 3] != ' ' && t[i + 3] != '-' && t[i + 3] != '\n')
		return false;
	if (i + 4 < n && t[i + 3] == '-' && !(t[i + 4] >= 0x20))
		return false;
	size_t k = i;
	while (k > 0 && is_wsp(t[k - 1]))
		k--;
	if (k == 0 || t[k - 1] == '\n')
		return true;
	if (strchr(reply_openers, t[k - 1]))
		return true;
	/* "said 550", "was 550", "returned 550" */
	static const char *const words[] = { "said", "was", "returned", "error", "response", "reply" };
	for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
		size_t wl = strlen(words[w]);
		if (k < i && k >= wl && strncasecmp(t + k - wl, words[w], wl) == 0)
			return true;
	}
	return false;
}

/*
 * The reply's lines into a struct reply: a reply folded onto one line
 * ("550-5.1.1 a 550-5.1.1 b 550 5.1.1 c", as Postfix writes a multi-line
 * one) is split again at its codes.
 */
static bool build_reply(const char *s, size_t len, struct reply *out)
{
	while (len > 0 && (is_wsp(*s) || *s == '\n')) {
		s++;
		len--;
	}
	while (len > 0 && (is_wsp(s[len - 1]) || s[len - 1] == '\n'))
		len--;
	if (len < 3)
		return false;
	char code[4] = { s[0], s[1], s[2], '\0' };
	struct strbuf wire = STRBUF_INIT;
	size_t pos = 0;
	bool more = len > 3 && s[3] == '-';
	size_t lines = 0;
	while (pos < len && lines < REPLY_LINES_MAX) {
		/* this line: from pos (a code) to the next " CODE-" or " CODE " while the previous said '-' */
		size_t text = pos + 3 < len ? pos + 4 : len;
		size_t end = len;
		bool next_more = false;
		if (more) {
			for (size_t k = text; k + 5 <= len; k++) {
				if ((s[k] == ' ' || s[k] == '\n') && memcmp(s + k + 1, code, 3) == 0 &&
				    (k + 4 == len || s[k + 4] == '-' || s[k + 4] == ' ')) {
					end = k;
					next_more = k + 4 < len && s[k + 4] == '-';
					break;
				}
			}
		}
		size_t tl = end > text ? end - text : 0;
		const char *tp = s + text;
		while (tl > 0 && is_wsp(*tp)) {
			tp++;
			tl--;
		}
		strbuf_append(&wire, code, 3);
		strbuf_putc(&wire, end < len ? '-' : ' ');
		for (size_t k = 0; k < tl; k++)
			strbuf_putc(&wire, tp[k] == '\n' || tp[k] == '\r' ? ' ' : tp[k]);
		strbuf_puts(&wire, "\r\n");
		lines++;
		if (end >= len)
			break;
		pos = end + 1;
		more = next_more;
	}
	if (wire.len >= 2 && wire.data[wire.len - 2] == '\r') {
		/* make sure the last line is a last line */
		size_t ls = wire.len - 2;
		while (ls > 0 && wire.data[ls - 1] != '\n')
			ls--;
		if (ls + 3 < wire.len)
			wire.data[ls + 3] = ' ';
	}
	struct reply_reader rr;
	reply_reader_init(&rr);
	size_t used = 0;
	enum reply_status st = reply_reader_feed(&rr, strbuf_str(&wire), wire.len, &used);
	bool ok = st == REPLY_DONE;
	if (ok) {
		reply_free(out);
		*out = rr.reply;
		memset(&rr.reply, 0, sizeof rr.reply);
	}
	reply_reader_free(&rr);
	strbuf_free(&wire);
	return ok;
}

/*
 * The reply that starts at i: its lines (continuations are deeper
 * indented lines, or lines with the same code), joined, cut at what
 * follows the server's words ("(in reply to ...)", a closing quote).
 */
/* A quote or bracket opened before the code on its line and not closed: the reply ends at its closer. */
static char open_bracket(const char *t, size_t ls, size_t i)
{
	char stack[16];
	size_t depth = 0;
	for (size_t k = ls; k < i; k++) {
		char ch = t[k];
		if (depth > 0 && ((stack[depth - 1] == '(' && ch == ')') || (stack[depth - 1] == '<' && ch == '>') ||
		                  (stack[depth - 1] == ch && (ch == '\'' || ch == '"'))))
			depth--;
		else if ((ch == '(' || ch == '"' ||
		          (ch == '<' && k + 1 < i && local_char((unsigned char)t[k + 1]) && t[k + 1] != '-') ||
		          (ch == '\'' && (k == ls || !domain_char((unsigned char)t[k - 1])))) &&
		         depth < sizeof stack)
			stack[depth++] = ch;
	}
	return depth ? stack[depth - 1] : '\0';
}

/*
 * The reply's lines from the one at i, joined by spaces into joined:
 * continuations are deeper indented lines, or lines with the same code
 * after a "CODE-" one (in a transcript, "<<< CODE" lines only). Returns
 * where the last line ends.
 */
static size_t join_reply_lines(const struct scan *sc, size_t i, struct strbuf *joined)
{
	const char *t = sc->t;
	size_t ls = line_start(t, i);
	size_t le = line_end(t, sc->n, i);
	size_t ind = indent_of(t, ls, le);
	bool transcript = skip_prefix(t, ls, le) > ls + ind;
	strbuf_append(joined, t + i, le - i);
	size_t end = le;
	bool last_said_more = le - i > 3 && t[i + 3] == '-';
	for (int lines = 1; end < sc->n && lines < REPLY_LINES_MAX; lines++) {
		size_t nls = end + 1;
		size_t nle = line_end(t, sc->n, nls);
		size_t nind = indent_of(t, nls, nle);
		if (nle == nls || nind == nle - nls)
			break;
		size_t body = skip_prefix(t, nls, nle);
		bool same_code = nle - body >= 4 && memcmp(t + body, t + i, 3) == 0 && (t[body + 3] == '-' || t[body + 3] == ' ');
		bool nprefixed = body > nls + nind;
		if (transcript) {
			if (!nprefixed || !same_code || !last_said_more)
				break;
		} else if (nprefixed) {
			break;
		} else if (!(same_code && last_said_more) && !(nind > ind && !same_code)) {
			break;
		}
		if (same_code)
			last_said_more = t[body + 3] == '-';
		strbuf_putc(joined, ' ');
		strbuf_append(joined, t + body, nle - body);
		end = nle;
	}
	return end;
}

/*
 * Where the server's words end in the joined reply js (lowj lower case):
 * before "(in reply to ...)", at the closer of the bracket or quote it
 * was opened with (brackets: the one that balances; quotes: the first not
 * inside a word, "doesn't"), before Exchange's "##" and a trailing step
 * marker such as "[RCPT_TO]".
 */
static size_t reply_cut(const char *js, const char *lowj, size_t jl, char opener)
{
	size_t cut = jl;
	const char *irt = strstr(lowj, "(in reply to");
	if (irt)
		cut = (size_t)(irt - lowj);
	char close = opener == '(' ? ')' : opener == '<' ? '>' : opener;
	int depth = 0;
	for (size_t q = 3; opener && q < cut; q++) {
		if (js[q] == opener && opener != close) {
			depth++;
		} else if (js[q] == close) {
			unsigned char nx = q + 1 < cut ? (unsigned char)js[q + 1] : ' ';
			bool word = opener == close && (is_digit((char)nx) || (nx >= 'a' && nx <= 'z') || (nx >= 'A' && nx <= 'Z'));
			if (depth == 0 && !word) {
				cut = q;
				break;
			}
			if (depth > 0)
				depth--;
		}
	}
	while (cut > 0 && (js[cut - 1] == '#' || is_wsp(js[cut - 1])))
		cut--;
	size_t tc = cut;
	if (tc > 0 && js[tc - 1] == ']') {
		size_t ob = tc - 1;
		while (ob > 0 && js[ob - 1] != '[' && ((js[ob - 1] >= 'A' && js[ob - 1] <= 'Z') || js[ob - 1] == '_'))
			ob--;
		if (ob > 0 && js[ob - 1] == '[' && ob < tc - 1)
			cut = ob - 1;
	}
	return cut;
}

/* The reply that starts at i into en (and the step its tail names); its span in the text into sp. */
static bool read_reply(struct scan *sc, size_t i, struct entry *en, struct span *sp)
{
	char opener = open_bracket(sc->t, line_start(sc->t, i), i);
	struct strbuf joined = STRBUF_INIT;
	size_t end = join_reply_lines(sc, i, &joined);
	const char *js = strbuf_str(&joined);
	size_t jl = joined.len;
	char *lowj = xmalloc(jl + 1);
	for (size_t q = 0; q < jl; q++)
		lowj[q] = lower(js[q]);
	lowj[jl] = '\0';
	size_t cut = reply_cut(js, lowj, jl, opener);
	en->have_reply = build_reply(js, cut, &en->reply);
	/* the tail phrase decides the step first: it is about this reply */
	for (size_t p = 0; p < sizeof step_phrases / sizeof step_phrases[0] && en->step == BSTEP_NONE; p++)
		if (strstr(lowj + cut, step_phrases[p].phrase))
			en->step = step_phrases[p].step;
	free(lowj);
	strbuf_free(&joined);
	sp->start = i;
	sp->end = end;
	sp->tail_end = end;
	return en->have_reply;
}

/* The step named nearest before end in [a, end): phrases inside longer ones do not count. */
static enum bounce_step step_before(const struct scan *sc, size_t a, size_t end)
{
	long best = -1;
	size_t best_len = 0;
	enum bounce_step step = BSTEP_NONE;
	size_t np = sizeof step_phrases / sizeof step_phrases[0];
	long pos[sizeof step_phrases / sizeof step_phrases[0]];
	for (size_t p = 0; p < np; p++)
		pos[p] = last_in(sc->low, a, end, step_phrases[p].phrase);
	for (size_t p = 0; p < np; p++) {
		if (pos[p] < 0)
			continue;
		size_t pl = strlen(step_phrases[p].phrase);
		bool inside = false;
		for (size_t q = 0; q < np && !inside; q++) {
			size_t ql = strlen(step_phrases[q].phrase);
			inside = q != p && pos[q] >= 0 && pos[q] <= pos[p] && (size_t)pos[q] + ql >= (size_t)pos[p] + pl && ql > pl;
		}
		if (inside)
			continue;
		if (pos[p] > best || (pos[p] == best && pl > best_len)) {
			best = pos[p];
			best_len = pl;
			step = step_phrases[p].step;
		}
	}
	return step;
}

/* An IP address token at s (dotted IPv4, or IPv6 of hex digits and colons), maybe with ":port" on IPv4. */
static size_t ip_token(const char *s, size_t len, char *ip, size_t isz)
{
	size_t n = 0;
	while (n < len && n < 45 && (is_digit(s[n]) || (s[n] >= 'a' && s[n] <= 'f') || (s[n] >= 'A' && s[n] <= 'F') ||
	                             s[n] == '.' || s[n] == ':'))
		n++;
	while (n > 0 && (s[n - 1] == '.' || s[n - 1] == ':'))
		n--;
	char tok[48];
	for (; n >= 2; n--) {
		memcpy(tok, s, n);
		tok[n] = '\0';
		if (valid_ip(tok, ip, isz))
			return n;
		/* "192.0.2.1:25": an IPv4 address and a port */
		char *colon = strchr(tok, ':');
		if (colon && strchr(colon + 1, ':') == NULL) {
			*colon = '\0';
			if (strchr(tok, '.') && valid_ip(tok, ip, isz))
				return n;
		}
		break;
	}
	return 0;
}

/* A host name token ending at e (a trailing dot dropped), into host; false when there is none. */
static bool host_ending_at(const struct scan *sc, size_t a, size_t e, char *host, size_t hsz)
{
	const char *t = sc->t;
	size_t s = e;
	while (s > a && domain_char((unsigned char)t[s - 1]))
		s--;
	size_t hl = e - s;
	while (hl > 0 && t[s + hl - 1] == '.')
		hl--;
	if (!hostname_token(t + s, hl))
		return false;
	for (size_t w = 0; w < sizeof not_hosts / sizeof not_hosts[0]; w++)
		if (strlen(not_hosts[w]) == hl && strncasecmp(t + s, not_hosts[w], hl) == 0)
			return false;
	copy_field(host, hsz, t + s, hl);
	return true;
}

/*
 * The remote host and IP named last in [a, end): "H[IP]", "H [IP]",
 * "H. IP", "[H]", "talking to H", "IP does not like recipient".
 */
static void host_before(const struct scan *sc, size_t a, size_t end, char *host, size_t hsz, char *ip, size_t isz)
{
	const char *t = sc->t;
	long best_ip = -1, best_host = -1;
	char ipv[46], name[256];
	size_t sp = 0;
	for (size_t i = a; i < end; i++) {
		/* an earlier reply's words name the client or the recipient's host, not the server that refused */
		while (sp < sc->nspans && sc->spans[sp].end <= i)
			sp++;
		if (sp < sc->nspans && sc->spans[sp].start <= i) {
			i = sc->spans[sp].end;
			continue;
		}
		bool bracket = t[i] == '[';
		bool word = !bracket && (i == a || !domain_char((unsigned char)t[i - 1])) && (is_digit(t[i]) || t[i] == ':');
		if (!bracket && !word)
			continue;
		size_t from = bracket ? i + 1 : i;
		if (bracket && end - from > 5 && strncasecmp(t + from, "ipv6:", 5) == 0)
			from += 5;
		size_t n = ip_token(t + from, end - from, ipv, sizeof ipv);
		if (n == 0) {
			/* "[mx.example.com]" */
			const char *close = bracket ? memchr(t + i, ']', end - i) : NULL;
			if (close && close - (t + i) < 250 && host_ending_at(sc, i + 1, (size_t)(close - t), name, sizeof name) &&
			    strlen(name) == (size_t)(close - t - i - 1) && (long)i > best_host) {
				best_host = (long)i;
				snprintf(host, hsz, "%s", name);
			}
			continue;
		}
		if (bracket && (from + n >= end || (t[from + n] != ']' && t[from + n] != ':')))
			continue;
		/* a bare address counts after a host name ("mx.example.com. 192.0.2.1") or before an outro */
		size_t e = i;
		while (e > a && is_wsp(t[e - 1]) && i - e < 2)
			e--;
		bool named = host_ending_at(sc, a, e, name, sizeof name);
		bool outro = false;
		for (size_t o = 0; !bracket && o < sizeof host_outros / sizeof host_outros[0]; o++)
			outro = outro || strncasecmp(t + i + n, host_outros[o], strlen(host_outros[o])) == 0;
		if (!bracket && !named && !outro)
			continue;
		if ((long)i > best_ip) {
			best_ip = (long)i;
			snprintf(ip, isz, "%s", ipv);
			if (named) {
				snprintf(host, hsz, "%s", name);
				best_host = (long)i;
			}
		}
		i = from + n;
	}
	for (size_t h = 0; h < sizeof host_intros / sizeof host_intros[0]; h++) {
		long p = last_in(sc->low, a, end, host_intros[h]);
		if (p < 0)
			continue;
		size_t s = (size_t)p + strlen(host_intros[h]);
		if (s < end && t[s] == '[')
			continue;  /* "connection to [H]": the bracket rule read it */
		size_t n = ip_token(t + s, end - s, ipv, sizeof ipv);
		if (n && p > best_ip) {
			best_ip = p;
			snprintf(ip, isz, "%s", ipv);
			continue;
		}
		size_t e = s;
		while (e < end && domain_char((unsigned char)t[e]))
			e++;
		if (p > best_host && host_ending_at(sc, s, e, name, sizeof name)) {
			best_host = p;
			snprintf(host, hsz, "%s", name);
		}
	}
	/* a host named after the address that was named with it belongs to another attempt: drop the address */
	if (best_host > best_ip && best_ip >= 0 && best_host - best_ip > 200)
		ip[0] = '\0';
}

/* Whether the address at [s, e) is the envelope sender: after "MAIL FROM:", or the known sender. */
static bool sender_context(const struct scan *sc, size_t s, size_t e)
{
	size_t k = s;
	while (k > 0 && (sc->t[k - 1] == '<' || is_wsp(sc->t[k - 1])))
		k--;
	if (k >= 10 && memcmp(sc->low + k - 10, "mail from:", 10) == 0)
		return true;
	if (k >= 9 && memcmp(sc->low + k - 9, "mail from", 9) == 0)
		return true;
	bool rcpt = k >= 8 && memcmp(sc->low + k - 8, "rcpt to:", 8) == 0;
	if (!rcpt && sc->exclude[0] && strlen(sc->exclude) == e - s && strncasecmp(sc->t + s, sc->exclude, e - s) == 0)
		return true;
	for (size_t d = 0; d < sizeof daemon_locals / sizeof daemon_locals[0]; d++) {
		size_t dl = strlen(daemon_locals[d]);
		if (s + dl < e && sc->t[s + dl] == '@' && strncasecmp(sc->t + s, daemon_locals[d], dl) == 0)
			return true;
	}
	return false;
}

/* The last recipient address named in [a, end), into out; false when none. */
static bool recipient_before(const struct scan *sc, size_t a, size_t end, char *out, size_t outsz, size_t *where)
{
	for (size_t i = end; i > a; i--) {
		if (sc->t[i - 1] != '@')
			continue;
		size_t s, e;
		if (!addr_around(sc->t, sc->n, i - 1, &s, &e) || s < a)
			continue;
		if (sender_context(sc, s, e)) {
			i = s + 1;
			continue;
		}
		copy_field(out, outsz, sc->t + s, e - s);
		*where = s;
		return true;
	}
	return false;
}

static struct entry *new_entry(struct scan *sc)
{
	sc->e = xreallocarray(sc->e, sc->ne + 1, sizeof *sc->e);
	struct entry *en = &sc->e[sc->ne++];
	memset(en, 0, sizeof *en);
	return en;
}

/* Where the text names the first recipient (what comes before is the bounce's preamble), or 0. */
static size_t text_start(struct scan *sc, size_t at)
{
	if (sc->first_addr < 0) {
		sc->first_addr = (long)sc->n;
		for (size_t i = 0; i < sc->n; i++) {
			size_t s, e;
			if (sc->t[i] == '@' && addr_around(sc->t, sc->n, i, &s, &e) && !sender_context(sc, s, e)) {
				sc->first_addr = (long)s;
				break;
			}
		}
	}
	return (size_t)sc->first_addr < at ? (size_t)sc->first_addr : 0;
}

/*
 * Fill an entry from the text before it: the recipient named last (since
 * the previous refusal, else before it), then the host and step named
 * since the previous refusal - for the first one, since its recipient was
 * first named, so the preamble's hosts (the client's) do not count.
 */
static void complete_entry(struct scan *sc, struct entry *en, size_t prev_end, size_t at)
{
	size_t where = 0;
	size_t floor = at > LOOKBACK_MAX ? at - LOOKBACK_MAX : 0;
	if (prev_end < floor)
		prev_end = floor;
	if (!recipient_before(sc, prev_end, at, en->recipient, sizeof en->recipient, &where))
		recipient_before(sc, floor, at, en->recipient, sizeof en->recipient, &where);
	size_t start = text_start(sc, at);
	if (start < floor)
		start = floor;
	size_t from = prev_end;
	if (prev_end == floor) {
		from = start;
		size_t rl = strlen(en->recipient);
		for (size_t i = floor; rl && i + rl <= at; i++)
			if (strncasecmp(sc->t + i, en->recipient, rl) == 0) {
				from = i;
				break;
			}
		/* from the start of its paragraph: "... while talking to H:" may come before ">>> RCPT To:<r>" */
		while (from > floor && !(from >= 2 && sc->t[from - 1] == '\n' && sc->t[from - 2] == '\n'))
			from--;
		start = from < start ? from : start;
	}
	host_before(sc, from, at, en->host, sizeof en->host, en->ip, sizeof en->ip);
	size_t ls = line_start(sc->t, at), k = at;
	while (k > ls && (is_wsp(sc->t[k - 1]) || strchr(reply_openers, sc->t[k - 1])))
		k--;
	size_t hs = ls;
	while (hs < k && is_wsp(sc->t[hs]))
		hs++;
	char name[256];
	if (!en->host[0] && k > hs && host_ending_at(sc, hs, k, name, sizeof name) && strlen(name) + hs >= k - 1)
		snprintf(en->host, sizeof en->host, "%s", name);
	if (!en->host[0] && !en->ip[0] && start < from)
		host_before(sc, start, at, en->host, sizeof en->host, en->ip, sizeof en->ip);
	if (en->step == BSTEP_NONE)
		en->step = step_before(sc, from, at);
	/* a transcript whose refusal comes before any command: the greeting */
	size_t le = line_end(sc->t, sc->n, at);
	if (en->step == BSTEP_NONE && en->have_reply && skip_prefix(sc->t, ls, le) > ls + indent_of(sc->t, ls, le) &&
	    last_in(sc->low, from, at, ">>>") < 0 && last_in(sc->low, from, at, "-->") < 0 &&
	    last_in(sc->low, from, at, "talking to") >= 0)
		en->step = BSTEP_BANNER;
}

/* The replies quoted in the text, each a refusal; their spans, in text order, into sc->spans. */
static void scan_replies(struct scan *sc)
{
	const char *t = sc->t;
	size_t prev_end = 0;
	for (size_t i = 0; i < sc->n && sc->ne < EVENTS_MAX; i++) {
		if (!reply_start(t, sc->n, i))
			continue;
		struct entry tmp = { 0 };
		struct span sp;
		if (!read_reply(sc, i, &tmp, &sp)) {
			reply_free(&tmp.reply);
			continue;
		}
		struct entry *en = new_entry(sc);
		*en = tmp;
		en->pos = i;
		en->failure = failure_from_code(en->reply.code);
		complete_entry(sc, en, prev_end, i);
		sc->spans = xreallocarray(sc->spans, sc->nspans + 1, sizeof *sc->spans);
		sc->spans[sc->nspans++] = sp;
		prev_end = sp.end;
		i = sp.end;
	}
}

/* Failures without a reply ("Connection refused"), outside the replies' words. */
static void scan_failures(struct scan *sc)
{
	const char *t = sc->t;
	const struct span *spans = sc->spans;
	size_t nspans = sc->nspans;
	for (size_t f = 0; f < sizeof failure_phrases / sizeof failure_phrases[0]; f++) {
		const char *ph = failure_phrases[f].phrase;
		size_t pl = strlen(ph);
		size_t seen = 0;
		for (const char *p = memmem(sc->low, sc->n, ph, pl); p && sc->ne < EVENTS_MAX && seen++ < 4 * EVENTS_MAX;
		     p = memmem(p + 1, sc->n - (size_t)(p + 1 - sc->low), ph, pl)) {
			size_t at = (size_t)(p - sc->low);
			bool in_reply = false, taken = false;
			/* spans are in text order: a binary search for the last one starting before at */
			size_t lo = 0, hi = nspans;
			while (lo < hi) {
				size_t mid = (lo + hi) / 2;
				if (spans[mid].start <= at)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo > 0)
				in_reply = at < spans[lo - 1].end;
			if (lo < nspans && !in_reply)
				in_reply = at >= line_start(t, spans[lo].start);
			/* one failure per paragraph line: "connection timed out" is not also "timed out" */
			size_t at_ls = line_start(t, at);
			for (size_t e = 0; e < sc->ne && !taken; e++)
				taken = !sc->e[e].have_reply && sc->e[e].ls == at_ls;
			if (in_reply || taken)
				continue;
			struct entry *en = new_entry(sc);
			en->pos = at;
			en->ls = at_ls;
			en->failure = failure_phrases[f].failure;
			/* the step: named on the lines of this failure (before or after it), else the table's */
			size_t ls = line_start(t, at);
			size_t pe = line_end(t, sc->n, at);
			while (pe + 1 < sc->n && pe - at < LOOKBACK_MAX && t[pe + 1] != '\n' && is_wsp(t[pe + 1]))
				pe = line_end(t, sc->n, pe + 1);
			size_t rs = ls;
			while (rs > 1 && ls - rs < LOOKBACK_MAX && t[rs - 1] == '\n' && t[rs - 2] != '\n' && is_wsp(t[ls]))
				rs = line_start(t, rs - 1);
			en->step = step_before(sc, rs, pe);
			if (en->step == BSTEP_NONE)
				en->step = failure_phrases[f].step;
			/* the last refusal before it bounds the recipient search */
			size_t bound = 0;
			for (size_t s = 0; s < nspans; s++)
				if (spans[s].end <= at && spans[s].end > bound)
					bound = spans[s].end;
			enum bounce_step keep = en->step;
			complete_entry(sc, en, bound, pe > at ? pe : at);
			en->step = keep;
		}
	}
}

/* "<addr>:" or "addr: reason" at a line's start, with nothing found about it: a failure without details. */
static void scan_rcpt_lines(struct scan *sc)
{
	const char *t = sc->t;
	size_t candidates = 0;
	for (size_t pos = 0; sc->rcpt_lines && pos < sc->n && sc->ne < EVENTS_MAX && candidates < 4 * EVENTS_MAX;) {
		size_t le = line_end(t, sc->n, pos);
		size_t k = pos;
		while (k < le && is_wsp(t[k]))
			k++;
		bool lt = k < le && t[k] == '<';
		const char *at = memchr(t + k, '@', le - k);
		size_t s, e;
		if (at && addr_around(t, sc->n, (size_t)(at - t), &s, &e) && s == k + lt) {
			candidates++;
			size_t q = e + (lt && e < le && t[e] == '>');
			bool ok = (!lt || (q > e)) && (q == le || t[q] == ':');
			bool known = false;
			for (size_t x = 0; x < sc->ne && !known; x++)
				known = strlen(sc->e[x].recipient) == e - s && strncasecmp(sc->e[x].recipient, t + s, e - s) == 0;
			if (ok && !known && !sender_context(sc, s, e)) {
				struct entry *en = new_entry(sc);
				en->pos = pos;
				copy_field(en->recipient, sizeof en->recipient, t + s, e - s);
			}
		}
		pos = le + 1;
	}
}

static int by_position(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static void scan_text(struct scan *sc)
{
	scan_replies(sc);
	scan_failures(sc);
	free(sc->spans);
	sc->spans = NULL;
	sc->nspans = 0;
	scan_rcpt_lines(sc);
	/* in the order of the text */
	if (sc->ne > 1)
		qsort(sc->e, sc->ne, sizeof *sc->e, by_position);
}

static void scan_init(struct scan *sc, const char *text, size_t len, const char *exclude)
{
	memset(sc, 0, sizeof *sc);
	sc->t = text;
	sc->n = len;
	sc->low = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++)
		sc->low[i] = lower(text[i]);
	sc->low[len] = '\0';
	sc->exclude = exclude ? exclude : "";
	sc->first_addr = -1;
}

static void scan_free(struct scan *sc)
{
	for (size_t i = 0; i < sc->ne; i++)
		reply_free(&sc->e[i].reply);
	free(sc->e);
	free(sc->low);
}

/* ---- the delivery-status part (RFC 3464) ---- */

struct dsn_group {
	struct mime_field *f;
	size_t nf;
};

/* The groups of fields, separated by blank lines; values unfolded, white space runs as one space. */
static size_t dsn_groups(const char *s, size_t len, struct dsn_group **out)
{
	struct dsn_group *g = NULL;
	size_t ng = 0;
	bool in_group = false;
	for (size_t pos = 0; pos < len;) {
		const char *lf = memchr(s + pos, '\n', len - pos);
		size_t le = lf ? (size_t)(lf - s) : len;
		size_t next = lf ? le + 1 : len;
		size_t l = le;
		if (l > pos && s[l - 1] == '\r')
			l--;
		bool blank = true;
		for (size_t k = pos; k < l && blank; k++)
			blank = is_wsp(s[k]);
		if (blank) {
			in_group = false;
		} else if (is_wsp(s[pos]) && in_group && g[ng - 1].nf > 0) {
			struct mime_field *f = &g[ng - 1].f[g[ng - 1].nf - 1];
			size_t cur = strlen(f->value);
			if (cur < MIME_FIELD_MAX) {
				size_t k = pos;
				while (k < l && is_wsp(s[k]))
					k++;
				size_t add = l - k;
				if (cur + add + 2 > MIME_FIELD_MAX)
					add = MIME_FIELD_MAX - cur - 2;
				f->value = xreallocarray(f->value, cur + add + 2, 1);
				f->value[cur] = ' ';
				memcpy(f->value + cur + 1, s + k, add);
				f->value[cur + 1 + add] = '\0';
			}
		} else {
			const char *colon = memchr(s + pos, ':', l - pos);
			if (colon && ng < BOUNCE_RCPTS_MAX + 1) {
				if (!in_group) {
					g = xreallocarray(g, ng + 1, sizeof *g);
					g[ng].f = NULL;
					g[ng].nf = 0;
					ng++;
					in_group = true;
				}
				struct dsn_group *cg = &g[ng - 1];
				if (cg->nf < MIME_FIELDS_MAX) {
					cg->f = xreallocarray(cg->f, cg->nf + 1, sizeof *cg->f);
					struct mime_field *f = &cg->f[cg->nf++];
					size_t nl = (size_t)(colon - (s + pos));
					f->name = xmalloc(nl + 1);
					copy_field(f->name, nl + 1, s + pos, nl);
					size_t vl = l - (size_t)(colon + 1 - s);
					if (vl > MIME_FIELD_MAX - 2)
						vl = MIME_FIELD_MAX - 2;
					f->value = xmalloc(vl + 1);
					copy_field(f->value, vl + 1, colon + 1, vl);
				}
			}
		}
		pos = next;
	}
	*out = g;
	return ng;
}

static const char *group_field(const struct dsn_group *g, const char *name)
{
	for (size_t i = 0; i < g->nf; i++)
		if (strcasecmp(g->f[i].name, name) == 0)
			return g->f[i].value;
	return NULL;
}

static void free_groups(struct dsn_group *g, size_t ng)
{
	for (size_t i = 0; i < ng; i++) {
		for (size_t k = 0; k < g[i].nf; k++) {
			free(g[i].f[k].name);
			free(g[i].f[k].value);
		}
		free(g[i].f);
	}
	free(g);
}

/* "rfc822; <a@b>" -> "a@b"; "utf-8; a\x{E9}@b" decoded (RFC 6533). type gets the type, lower case. */
static void typed_value(const char *v, char *out, size_t outsz, char *type, size_t tsz)
{
	out[0] = '\0';
	if (type)
		type[0] = '\0';
	if (!v)
		return;
	const char *semi = strchr(v, ';');
	if (semi && type) {
		copy_field(type, tsz, v, (size_t)(semi - v));
		for (char *c = type; *c; c++)
			*c = lower(*c);
	}
	const char *val = semi ? semi + 1 : v;
	struct strbuf sb = STRBUF_INIT;
	for (const char *p = val; *p; p++) {
		unsigned cp;
		int used = 0;
		if (p[0] == '\\' && p[1] == 'x' && p[2] == '{' && sscanf(p + 3, "%6x}%n", &cp, &used) == 1 && used > 0 &&
		    cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)) {
			char b[4];
			size_t n;
			if (cp < 0x80) { b[0] = (char)cp; n = 1; }
			else if (cp < 0x800) { b[0] = (char)(0xc0 | (cp >> 6)); b[1] = (char)(0x80 | (cp & 0x3f)); n = 2; }
			else if (cp < 0x10000) { b[0] = (char)(0xe0 | (cp >> 12)); b[1] = (char)(0x80 | ((cp >> 6) & 0x3f)); b[2] = (char)(0x80 | (cp & 0x3f)); n = 3; }
			else { b[0] = (char)(0xf0 | (cp >> 18)); b[1] = (char)(0x80 | ((cp >> 12) & 0x3f)); b[2] = (char)(0x80 | ((cp >> 6) & 0x3f)); b[3] = (char)(0x80 | (cp & 0x3f)); n = 4; }
			strbuf_append(&sb, b, n);
			p += 2 + used;
			continue;
		}
		strbuf_putc(&sb, *p);
	}
	const char *s = strbuf_str(&sb);
	size_t l = sb.len;
	while (l > 0 && is_wsp(*s)) {
		s++;
		l--;
	}
	while (l > 0 && is_wsp(s[l - 1]))
		l--;
	if (l >= 2 && s[0] == '<' && s[l - 1] == '>') {
		s++;
		l -= 2;
	}
	copy_field(out, outsz, s, l);
	strbuf_free(&sb);
}

/* ---- putting it together ---- */

struct ctx {
	struct mime_message m;
	enum bounce_source dsn_source;  /* what a Diagnostic-Code's reply is credited to: the DSN, or SES's notification */
	struct strbuf text;        /* the human-readable part, UTF-8, LF */
	struct strbuf returned;    /* the returned message's headers, as text */
	char sender[BOUNCE_ADDR_MAX];
	char reporting_mta[256];
	enum bounce_source format;
	bool delay_notice;
	const char *subject;
	const char *from;
	/* forwarded to someone else (the helpdesk): the top header is the forward's, not the bounce's */
	bool forwarded;
	char fwd_from[BOUNCE_ADDR_MAX];  /* the forwarded bounce's From and To, from the header block the text quotes */
	char fwd_to[BOUNCE_ADDR_MAX];
};

static void append_lf(struct strbuf *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != '\r' || i + 1 >= len || s[i + 1] != '\n')
			strbuf_putc(out, s[i] == '\r' ? '\n' : (s[i] == '\0' ? ' ' : s[i]));
}

/*
 * One level of quote marker at the start of the line [pos, le): the octets
 * it takes (blanks, ">", one space), 0 when the line is not quoted, -1 when
 * it is blank. Sendmail's ">>> RCPT" is a transcript, not a quote.
 */
static long quote_marker(const char *t, size_t pos, size_t le)
{
	size_t k = pos;
	while (k < le && is_wsp(t[k]))
		k++;
	if (k == le)
		return -1;
	if (t[k] != '>' || (le - k >= 4 && memcmp(t + k, ">>> ", 4) == 0))
		return 0;
	k++;
	if (k < le && t[k] == ' ')
		k++;
	return (long)(k - pos);
}

/* Where the line at pos ends, however long (line_end stops looking after LOOKBACK_MAX). */
static size_t eol(const char *t, size_t n, size_t pos)
{
	const char *lf = memchr(t + pos, '\n', n - pos);
	return lf ? (size_t)(lf - t) : n;
}

/*
 * A bounce quoted in a reply or an inline forward ("> " before each line):
 * when most lines carry the marker, one level of it comes off, as often as
 * that holds (nested quotes).
 */
static void unquote(struct strbuf *text)
{
	for (int level = 0; level < 4; level++) {
		const char *t = strbuf_str(text);
		size_t n = text->len, lines = 0, quoted = 0;
		for (size_t pos = 0; pos < n; pos = eol(t, n, pos) + 1) {
			long q = quote_marker(t, pos, eol(t, n, pos));
			lines += q >= 0;
			quoted += q > 0;
		}
		if (lines < 3 || quoted * 10 < lines * 6)
			return;
		struct strbuf out = STRBUF_INIT;
		for (size_t pos = 0; pos < n;) {
			size_t le = eol(t, n, pos);
			long q = quote_marker(t, pos, le);
			size_t from = pos + (q > 0 ? (size_t)q : 0);
			strbuf_append(&out, t + from, le - from);
			if (le < n)
				strbuf_putc(&out, '\n');
			pos = le + 1;
		}
		strbuf_free(text);
		*text = out;
	}
}

/* The text parts of the bounce itself (not of the returned message), then cut at the returned copy. */
static void collect_text(struct ctx *c)
{
	for (size_t i = 0; i < c->m.nparts; i++) {
		const struct mime_part *p = &c->m.parts[i];
		if (p->enclosed > 0)
			continue;
		bool plain = strcmp(p->type, "text/plain") == 0;
		bool html = strcmp(p->type, "text/html") == 0;
		/* the HTML alternative of a text part says the same: only when no plain part came first */
		if (html && c->text.len > 0)
			continue;
		if (!plain && !html)
			continue;
		if (c->text.len)
			strbuf_puts(&c->text, "\n\n");
		if (html) {
			struct strbuf t = STRBUF_INIT;
			mime_html_to_text(strbuf_str(&p->body), p->body.len, &t);
			append_lf(&c->text, strbuf_str(&t), t.len);
			strbuf_free(&t);
		} else {
			append_lf(&c->text, strbuf_str(&p->body), p->body.len);
		}
	}
	unquote(&c->text);
	/* a returned copy quoted in the text: its headers are the sender's, its words not the bounce's */
	char *low = xmalloc(c->text.len + 1);
	for (size_t i = 0; i < c->text.len; i++)
		low[i] = lower(c->text.data[i]);
	low[c->text.len] = '\0';
	size_t cut = c->text.len;
	bool copy = false;
	for (size_t k = 0; k < sizeof returned_markers / sizeof returned_markers[0]; k++) {
		const char *p = strstr(low, returned_markers[k]);
		if (p && (size_t)(p - low) < cut) {
			cut = (size_t)(p - low);
			copy = true;
		}
	}
	free(low);
	if (copy) {
		size_t after = line_end(c->text.data, c->text.len, cut);
		while (after < c->text.len && c->text.data[after] == '\n')
			after++;
		strbuf_append(&c->returned, c->text.data + after, c->text.len - after);
		c->text.len = cut;
		c->text.data[cut] = '\0';
	}
}

static const char *const forward_prefixes[] = { "fwd:", "fw:", "wg:", "tr:", "rv:", "vs:", "doorst:", "enc:", "i:" };
static const char *const forward_markers[] = {
	"forwarded message", "begin forwarded message", "original message", "weitergeleitete nachricht",
	"message transféré", "message d'origine", "mensaje reenviado", "mensagem encaminhada",
	"Пересылаемое сообщение", "Исходное сообщение",  /* as written: lower() folds ASCII only */
};

/* The header block under a forward's marker line: its field names (English, German, French, Spanish, Russian). */
static const struct {
	const char *name;  /* with its colon; ASCII letters in any case */
	char role;         /* 'f' From, 't' To, '-' another field */
} forward_fields[] = {
	{ "from:", 'f' }, { "to:", 't' }, { "date:", '-' }, { "sent:", '-' }, { "subject:", '-' }, { "cc:", '-' },
	{ "von:", 'f' }, { "an:", 't' }, { "datum:", '-' }, { "gesendet:", '-' }, { "betreff:", '-' },
	{ "de :", 'f' }, { "de:", 'f' }, { "À :", 't' }, { "À:", 't' }, { "à :", 't' }, { "objet :", '-' }, { "envoyé :", '-' },
	{ "para:", 't' }, { "asunto:", '-' }, { "fecha:", '-' }, { "enviado:", '-' },
	/* Cyrillic as the mail clients write it: strncasecmp folds ASCII only */
	{ "От:", 'f' }, { "Кому:", 't' }, { "Тема:", '-' }, { "Дата:", '-' }, { "Отправлено:", '-' },
};

/* A forward's marker line: the phrase, framed by dashes or ended by a colon ("Begin forwarded message:"). */
static bool forward_marker(const char *line, size_t len)
{
	while (len > 0 && is_wsp(line[len - 1]))
		len--;
	while (len > 0 && is_wsp(*line)) {
		line++;
		len--;
	}
	if (len < 8 || len > 100 || !(line[0] == '-' || line[0] == '_' || line[0] == '=' || line[0] == '*' || line[len - 1] == ':'))
		return false;
	char low[128];
	for (size_t i = 0; i < len; i++)
		low[i] = lower(line[i]);
	low[len] = '\0';
	for (size_t k = 0; k < sizeof forward_markers / sizeof forward_markers[0]; k++)
		if (strstr(low, forward_markers[k]))
			return true;
	return false;
}

/* A bounce's own From: a daemon's local part, or Exchange's "MicrosoftExchange<hex>@". */
static bool daemon_address(const char *addr)
{
	const char *at = strrchr(addr, '@');
	if (!at)
		return false;
	size_t ll = (size_t)(at - addr);
	for (size_t d = 0; d < sizeof daemon_locals / sizeof daemon_locals[0]; d++)
		if (strlen(daemon_locals[d]) == ll && strncasecmp(addr, daemon_locals[d], ll) == 0)
			return true;
	return ll >= 17 && strncasecmp(addr, "microsoftexchange", 17) == 0;
}

/*
 * Whether the message forwards a bounce (its subject says "Fwd:", or its
 * text has a forward's marker line over a header block); that block's From
 * and To ("From: Mail Delivery System <...>").
 */
static void detect_forward(struct ctx *c)
{
	const char *subj = c->subject ? c->subject : "";
	while (is_wsp(*subj))
		subj++;
	for (size_t k = 0; k < sizeof forward_prefixes / sizeof forward_prefixes[0]; k++)
		if (strncasecmp(subj, forward_prefixes[k], strlen(forward_prefixes[k])) == 0)
			c->forwarded = true;
	const char *t = strbuf_str(&c->text);
	size_t n = c->text.len;
	for (size_t pos = 0; pos < n && pos < 65536;) {
		size_t le = line_end(t, n, pos);
		bool marker = forward_marker(t + pos, le - pos);
		pos = le + 1;
		if (!marker)
			continue;
		size_t fields = 0;
		bool from = false;
		char f[BOUNCE_ADDR_MAX] = "", to[BOUNCE_ADDR_MAX] = "";
		for (int lines = 0; pos < n && lines < 12; lines++) {
			le = line_end(t, n, pos);
			size_t k = pos;
			while (k < le && is_wsp(t[k]))
				k++;
			if (k == le && fields > 0)
				break;
			for (size_t i = 0; i < sizeof forward_fields / sizeof forward_fields[0]; i++) {
				const char *name = forward_fields[i].name;
				size_t nl = strlen(name);
				if (le - k <= nl || strncasecmp(t + k, name, nl) != 0)
					continue;
				fields++;
				char value[1024];
				copy_field(value, sizeof value, t + k + nl, le - k - nl);
				if (forward_fields[i].role == 'f') {
					from = true;
					first_address(value, f, sizeof f);
				} else if (forward_fields[i].role == 't') {
					first_address(value, to, sizeof to);
				}
				break;
			}
			pos = le + 1;
		}
		/* a bounce's own "Original Message" block is the returned message's (From: its sender): not a forward */
		if (fields >= 2 && from && daemon_address(f)) {
			c->forwarded = true;
			snprintf(c->fwd_from, sizeof c->fwd_from, "%s", f);
			snprintf(c->fwd_to, sizeof c->fwd_to, "%s", to);
			break;
		}
	}
}

static void find_sender(struct ctx *c, const char *dsn_sender)
{
	/* the returned message (message/rfc822), its headers (text/rfc822-headers), or the quoted copy */
	static const char *const fields[] = { "Return-Path", "From", "Sender" };
	for (size_t f = 0; f < sizeof fields / sizeof fields[0] && !c->sender[0]; f++) {
		for (size_t i = 1; i < c->m.nparts && !c->sender[0]; i++) {
			const struct mime_part *p = &c->m.parts[i];
			if (p->enclosed == 1 && p->parent >= 0 && c->m.parts[p->parent].enclosed == 0)
				first_address(mime_field(p, fields[f]), c->sender, sizeof c->sender);
		}
		for (size_t i = 0; i < c->m.nparts && !c->sender[0]; i++) {
			const struct mime_part *p = &c->m.parts[i];
			if (p->enclosed == 0 && (strcmp(p->type, "text/rfc822-headers") == 0 ||
			                         strcmp(p->type, "message/global-headers") == 0)) {
				struct mime_message h;
				mime_parse(strbuf_str(&p->body), p->body.len, &h);
				first_address(mime_field(&h.parts[0], fields[f]), c->sender, sizeof c->sender);
				mime_free(&h);
			}
		}
		if (!c->sender[0] && c->returned.len) {
			struct mime_message h;
			mime_parse(strbuf_str(&c->returned), c->returned.len, &h);
			first_address(mime_field(&h.parts[0], fields[f]), c->sender, sizeof c->sender);
			mime_free(&h);
		}
	}
	if (!c->sender[0] && dsn_sender)
		typed_value(dsn_sender, c->sender, sizeof c->sender, NULL, 0);
	/* a transcript in the text: "MAIL From:<a@b>" */
	const char *t = strbuf_str(&c->text);
	const char *mf = strcasestr(t, "mail from:");
	if (!c->sender[0] && mf) {
		mf += 10;
		while (*mf == ' ' || *mf == '<')
			mf++;
		size_t n = strcspn(mf, "> \t\n");
		const char *at = memchr(mf, '@', n);
		size_t a, e;
		if (at && addr_around(mf, n, (size_t)(at - mf), &a, &e) && a == 0)
			copy_field(c->sender, sizeof c->sender, mf, e);
	}
	/*
	 * A bounce goes to the envelope sender of what it returns (RFC 5321
	 * 4.5.5): its own To, when it is one address. Forwarded, that To is in
	 * the quoted header block, and whoever forwarded it is the one who got it.
	 */
	if (!c->sender[0] && c->forwarded) {
		const char *by = c->fwd_to[0] ? c->fwd_to : NULL;
		char fwd_by[BOUNCE_ADDR_MAX];
		if (!by && first_address(c->from, fwd_by, sizeof fwd_by))
			by = fwd_by;
		if (by)
			snprintf(c->sender, sizeof c->sender, "%s", by);
		return;
	}
	const char *to = mime_field(&c->m.parts[0], "To");
	if (!c->sender[0] && to && !strchr(to, ','))
		first_address(to, c->sender, sizeof c->sender);
}

/* Where a bounce's text names the host that wrote it (Exchange, Postfix, qmail, Courier, a DSN pasted as text). */
static const char *const reporting_intros[] = {
	"generating server:", "generierender server:", "serveur de génération :", "servidor de generación:",
	"this is the mail system at host ", "this is the qmail-send program at ",
	"this is a delivery status notification from ", "reporting-mta: dns;",
};

static bool reporting_from_text(struct ctx *c)
{
	const char *t = strbuf_str(&c->text);
	size_t n = c->text.len;
	for (size_t k = 0; k < sizeof reporting_intros / sizeof reporting_intros[0]; k++) {
		const char *intro = reporting_intros[k];
		size_t il = strlen(intro);
		for (size_t i = 0; i + il <= n && i < 8192; i++) {
			if (strncasecmp(t + i, intro, il) != 0 || (i > 0 && t[i - 1] != '\n' && !is_wsp(t[i - 1])))
				continue;
			size_t s = i + il, e;
			while (s < n && is_wsp(t[s]))
				s++;
			e = s;
			while (e < n && domain_char((unsigned char)t[e]) && e - s < 253)
				e++;
			while (e > s && t[e - 1] == '.')
				e--;
			if (hostname_token(t + s, e - s)) {
				copy_field(c->reporting_mta, sizeof c->reporting_mta, t + s, e - s);
				return true;
			}
		}
	}
	return false;
}

/* The bounce's own host: Reporting-MTA, else the host its text names, else its first hop (Received), else the From domain. */
static void find_reporting(struct ctx *c, const char *dsn_reporting)
{
	if (dsn_reporting) {
		typed_value(dsn_reporting, c->reporting_mta, sizeof c->reporting_mta, NULL, 0);
		return;
	}
	if (reporting_from_text(c))
		return;
	if (c->forwarded) {
		/* the forward's own header is not the bounce's: only the quoted From's domain */
		const char *at = strrchr(c->fwd_from, '@');
		if (at)
			snprintf(c->reporting_mta, sizeof c->reporting_mta, "%s", at + 1);
		return;
	}
	/*
	 * The bottom Received field is the bounce's first hop (a saved bounce
	 * has the recipient's own servers above it): "by" the host that wrote
	 * it ("with local", from an internal address), or, when that host
	 * handed it over by SMTP without a field of its own (Postfix), "from" it.
	 */
	const char *rcv = NULL;
	for (size_t i = 0; i < c->m.parts[0].nfields; i++)
		if (strcasecmp(c->m.parts[0].fields[i].name, "Received") == 0)
			rcv = c->m.parts[0].fields[i].value;
	if (rcv) {
		const char *by = strcasestr(rcv, "by ");
		while (by && by > rcv && !is_wsp(by[-1]) && by[-1] != '(')
			by = strcasestr(by + 1, "by ");
		const char *from = strncasecmp(rcv, "from ", 5) == 0 ? rcv + 5 : NULL;
		size_t fn = 0;
		while (from && domain_char((unsigned char)from[fn]) && fn < 253)
			fn++;
		bool smtp_hop = from && hostname_token(from, fn) && !strcasestr(rcv, " with local") &&
			strncasecmp(from, "localhost", 9) != 0 && strspn(from, "0123456789.") < fn;
		if (smtp_hop) {
			copy_field(c->reporting_mta, sizeof c->reporting_mta, from, fn);
			return;
		}
		if (by) {
			by += 3;
			size_t n = 0;
			while (domain_char((unsigned char)by[n]) && n < 253)
				n++;
			if (hostname_token(by, n)) {
				copy_field(c->reporting_mta, sizeof c->reporting_mta, by, n);
				return;
			}
		}
	}
	char from[BOUNCE_ADDR_MAX];
	if (first_address(c->from, from, sizeof from)) {
		const char *at = strrchr(from, '@');
		if (at)
			snprintf(c->reporting_mta, sizeof c->reporting_mta, "%s", at + 1);
	}
}

static void detect_format(struct ctx *c)
{
	struct strbuf h = STRBUF_INIT;
	strbuf_append(&h, strbuf_str(&c->text), c->text.len);
	strbuf_putc(&h, '\n');
	strbuf_puts(&h, c->from ? c->from : "");
	strbuf_putc(&h, '\n');
	strbuf_puts(&h, c->subject ? c->subject : "");
	for (size_t i = 0; i < c->m.parts[0].nfields; i++)
		if (strncasecmp(c->m.parts[0].fields[i].name, "X-", 2) == 0) {
			strbuf_putc(&h, '\n');
			strbuf_puts(&h, c->m.parts[0].fields[i].name);
		}
	for (size_t i = 0; i < h.len; i++)
		h.data[i] = lower(h.data[i]);
	c->format = BSRC_GENERIC;
	for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++)
		if (any_of(h.data, h.len, formats[f].phrases)) {
			c->format = formats[f].source;
			break;
		}
	for (size_t d = 0; d < sizeof delay_phrases / sizeof delay_phrases[0] && !c->delay_notice; d++)
		c->delay_notice = contains(h.data, h.len, delay_phrases[d]);
	strbuf_free(&h);
}

static bool from_daemon(const struct ctx *c)
{
	char from[BOUNCE_ADDR_MAX];
	bool daemon = false;
	if (first_address(c->from, from, sizeof from))
		for (size_t d = 0; d < sizeof daemon_locals / sizeof daemon_locals[0]; d++)
			daemon = daemon || strncasecmp(from, daemon_locals[d], strlen(daemon_locals[d])) == 0;
	return daemon;
}

/* Whether the message says it is a bounce (for wordings that could be in any mail). */
static bool looks_like_bounce(const struct ctx *c)
{
	if (c->format != BSRC_GENERIC || from_daemon(c))
		return true;
	for (size_t i = 0; c->subject && i < sizeof bounce_subjects / sizeof bounce_subjects[0]; i++)
		if (strcasestr(c->subject, bounce_subjects[i]))
			return true;
	return false;
}

static bool autoreply(const struct ctx *c)
{
	const struct mime_part *top = &c->m.parts[0];
	for (size_t i = 0; i < sizeof autoreply_fields / sizeof autoreply_fields[0]; i++)
		if (mime_field(top, autoreply_fields[i]))
			return true;
	const char *prec = mime_field(top, "Precedence");
	if (prec && strcasestr(prec, "auto_reply"))
		return true;
	if (c->subject) {
		const char *s = c->subject;
		while (is_wsp(*s))
			s++;
		for (size_t i = 0; i < sizeof autoreply_subjects / sizeof autoreply_subjects[0]; i++)
			if (strncasecmp(s, autoreply_subjects[i], strlen(autoreply_subjects[i])) == 0)
				return true;
	}
	const char *as = mime_field(top, "Auto-Submitted");
	return as && strcasestr(as, "auto-replied") && !from_daemon(c);
}

static struct bounce_rcpt *add_rcpt(struct bounce *b)
{
	if (b->nrcpts >= BOUNCE_RCPTS_MAX)
		return NULL;
	b->rcpts = xreallocarray(b->rcpts, b->nrcpts + 1, sizeof *b->rcpts);
	struct bounce_rcpt *r = &b->rcpts[b->nrcpts++];
	memset(r, 0, sizeof *r);
	return r;
}

/* Complete a record from a text entry (what the DSN left open). */
static void take_entry(struct bounce_rcpt *r, struct entry *en, bool reply_too)
{
	en->used = true;
	if (!r->recipient[0])
		snprintf(r->recipient, sizeof r->recipient, "%s", en->recipient);
	if (!r->remote_host[0])
		snprintf(r->remote_host, sizeof r->remote_host, "%s", en->host);
	if (!r->remote_ip[0])
		snprintf(r->remote_ip, sizeof r->remote_ip, "%s", en->ip);
	if (r->step == BSTEP_NONE)
		r->step = en->step;
	if (reply_too && !r->have_reply && en->have_reply) {
		reply_copy(&r->reply, &en->reply);
		r->have_reply = true;
	}
	if (r->failure == FAIL_NONE || (!r->have_reply && en->failure != FAIL_NONE))
		r->failure = en->failure;
}

/* Later refusals of the same recipient (Sendmail's reason, then its transcript) fill the gaps. */
static void take_later(struct scan *sc, struct bounce_rcpt *r, const struct entry *en)
{
	for (size_t k = (size_t)(en - sc->e) + 1; k < sc->ne && en->recipient[0]; k++)
		if (!sc->e[k].used && strcasecmp(sc->e[k].recipient, en->recipient) == 0)
			take_entry(r, &sc->e[k], true);
}

/* The text entry about this recipient: the same address, else the next one that names none. */
static struct entry *entry_for(struct scan *sc, const char *rcpt, const char *orig, bool only_one)
{
	for (size_t i = 0; i < sc->ne; i++)
		if (!sc->e[i].used && sc->e[i].recipient[0] &&
		    (strcasecmp(sc->e[i].recipient, rcpt) == 0 || (orig[0] && strcasecmp(sc->e[i].recipient, orig) == 0)))
			return &sc->e[i];
	for (size_t i = 0; i < sc->ne; i++)
		if (!sc->e[i].used && !sc->e[i].recipient[0])
			return &sc->e[i];
	if (only_one) {
		struct entry *one = NULL;
		size_t n = 0;
		for (size_t i = 0; i < sc->ne; i++)
			if (!sc->e[i].used) {
				one = one ? one : &sc->e[i];
				n++;
			}
		return n == 1 ? one : NULL;
	}
	return NULL;
}

static void finish_rcpt(struct bounce_rcpt *r, const struct ctx *c)
{
	if (!r->sender[0])
		snprintf(r->sender, sizeof r->sender, "%s", c->sender);
	if (!r->reporting_mta[0])
		snprintf(r->reporting_mta, sizeof r->reporting_mta, "%s", c->reporting_mta);
	if (!r->status[0] && r->have_reply && r->reply.enhanced[0])
		snprintf(r->status, sizeof r->status, "%s", r->reply.enhanced);
	if (!r->action[0])
		snprintf(r->action, sizeof r->action, "%s", c->delay_notice ? "delayed" : "failed");
	if (strcmp(r->action, "delayed") == 0)
		r->permanent = false;
	else if (strcmp(r->action, "failed") == 0)
		r->permanent = true;
	else
		r->permanent = r->status[0] == '5' || (r->have_reply && r->reply.code >= 500);
	if (r->failure == FAIL_NONE && r->have_reply)
		r->failure = failure_from_code(r->reply.code);
	if (r->failure == FAIL_NONE)
		r->failure = r->permanent ? FAIL_REJECTED : FAIL_TEMPFAIL;
	/* Remote-MTA may be an address: then it is the IP, not the host */
	char ip[46];
	if (r->remote_host[0] && valid_ip(r->remote_host[0] == '[' ? r->remote_host + 1 : r->remote_host, ip, sizeof ip)) {
		if (!r->remote_ip[0])
			snprintf(r->remote_ip, sizeof r->remote_ip, "%s", ip);
		r->remote_host[0] = '\0';
	} else if (r->remote_host[0] == '[') {
		char tmp[256];
		snprintf(tmp, sizeof tmp, "%s", r->remote_host + 1);
		char *cb = strchr(tmp, ']');
		if (cb)
			*cb = '\0';
		if (valid_ip(tmp, ip, sizeof ip) && !r->remote_ip[0])
			snprintf(r->remote_ip, sizeof r->remote_ip, "%s", ip);
		r->remote_host[0] = '\0';
	}
}

/* "mx.example.com. (192.0.2.90, the server for ...)" -> host and IP; "[192.0.2.1]" -> IP. */
static void split_remote_mta(struct bounce_rcpt *r)
{
	char v[256];
	snprintf(v, sizeof v, "%s", r->remote_host);
	r->remote_host[0] = '\0';
	const char *p = v;
	if (*p == '[')
		p++;
	char ip[46];
	size_t n = ip_token(p, strlen(p), ip, sizeof ip);
	if (n) {
		snprintf(r->remote_ip, sizeof r->remote_ip, "%s", ip);
		return;
	}
	size_t hl = 0;
	while (p[hl] && domain_char((unsigned char)p[hl]) && (unsigned char)p[hl] < 0x80)
		hl++;
	size_t keep = hl;
	while (keep > 0 && p[keep - 1] == '.')
		keep--;
	if (hostname_token(p, keep) || (keep > 0 && !memchr(p, '.', keep)))
		copy_field(r->remote_host, sizeof r->remote_host, p, keep);
	/* an address named after it */
	for (const char *q = p + hl; *q; q++)
		if (is_digit(*q) && !domain_char((unsigned char)q[-1]) && (n = ip_token(q, strlen(q), ip, sizeof ip)) > 0) {
			snprintf(r->remote_ip, sizeof r->remote_ip, "%s", ip);
			break;
		}
}

static const char *const success_actions[] = { "delivered", "relayed", "expanded" };

/* The DSN's recipients, completed from the text. Returns how many groups named a recipient. */
/* A DSN Action, lower case, without a comment: "failed". */
static void dsn_action(const char *action, char *act, size_t asz)
{
	act[0] = '\0';
	if (!action)
		return;
	copy_field(act, asz, action, strlen(action));
	for (char *p = act; *p; p++)
		*p = lower(*p);
	char *sp = strpbrk(act, " \t(");
	if (sp)
		*sp = '\0';
}

static bool success_action(const char *act)
{
	for (size_t s = 0; s < sizeof success_actions / sizeof success_actions[0]; s++)
		if (strcmp(act, success_actions[s]) == 0)
			return true;
	return false;
}

/* A DSN Status ("5.1.1", "5.1.1 (user unknown)") into status; left empty when it is none. */
static void dsn_status(const char *st, char *status, size_t ssz)
{
	if (!st)
		return;
	size_t k = 0;
	while (st[k] && !is_wsp(st[k]) && st[k] != '(')
		k++;
	size_t el = reply_enhanced_len(st, k);
	if (el && el < ssz)
		copy_field(status, ssz, st, el);
}

/*
 * One recipient's group into r, completed from the text's entry about it
 * (the step, the IP), else from the diagnostic's own words ("connect to
 * H[IP]:25: Connection refused").
 */
static void dsn_record(struct ctx *c, struct scan *sc, const struct dsn_group *gr, const char *act, bool only_one,
                       struct bounce_rcpt *r)
{
	const char *fr = group_field(gr, "Final-Recipient");
	const char *orr = group_field(gr, "Original-Recipient");
	typed_value(fr ? fr : orr, r->recipient, sizeof r->recipient, NULL, 0);
	typed_value(orr, r->original_recipient, sizeof r->original_recipient, NULL, 0);
	snprintf(r->action, sizeof r->action, "%s", act);
	dsn_status(group_field(gr, "Status"), r->status, sizeof r->status);
	char mtype[32];
	typed_value(group_field(gr, "Remote-MTA"), r->remote_host, sizeof r->remote_host, mtype, sizeof mtype);
	split_remote_mta(r);
	const char *la = group_field(gr, "Last-Attempt-Date");
	if (la)
		copy_field(r->last_attempt, sizeof r->last_attempt, la, strlen(la));
	const char *diag = group_field(gr, "Diagnostic-Code");
	const char *semi = diag ? strchr(diag, ';') : NULL;
	const char *dtext = semi ? semi + 1 : diag;
	char dtype[32] = "";
	if (semi)
		copy_field(dtype, sizeof dtype, diag, (size_t)(semi - diag));
	if (dtext && strcasecmp(dtype, "smtp") == 0)
		r->have_reply = build_reply(dtext, strlen(dtext), &r->reply);
	/* the DSN gave the diagnostic: the record is its; else the text's format */
	r->source = diag ? c->dsn_source : c->format;
	struct entry *en = entry_for(sc, r->recipient, r->original_recipient, only_one);
	if (en) {
		take_entry(r, en, true);
		take_later(sc, r, en);
	}
	if (dtext && (!r->have_reply || r->step == BSTEP_NONE)) {
		struct scan ds;
		scan_init(&ds, dtext, strlen(dtext), c->sender);
		scan_text(&ds);
		if (ds.ne > 0) {
			ds.e[0].recipient[0] = '\0';
			take_entry(r, &ds.e[0], !r->have_reply);
		}
		scan_free(&ds);
	}
	finish_rcpt(r, c);
}

/* The DSN's recipients, completed from the text. Returns how many groups named a recipient. */
static size_t from_dsn(struct ctx *c, struct scan *sc, struct bounce *b, const struct mime_part *dsn,
                       char *success, size_t ssz)
{
	struct dsn_group *g = NULL;
	size_t ng = dsn_groups(strbuf_str(&dsn->body), dsn->body.len, &g);
	find_sender(c, ng > 0 ? group_field(&g[0], "X-Postfix-Sender") : NULL);
	find_reporting(c, ng > 0 ? group_field(&g[0], "Reporting-MTA") : NULL);
	size_t failed = 0, named = 0;
	char act[24];
	for (size_t i = 0; i < ng; i++) {
		if (!group_field(&g[i], "Final-Recipient") && !group_field(&g[i], "Original-Recipient"))
			continue;
		dsn_action(group_field(&g[i], "Action"), act, sizeof act);
		if (!success_action(act))
			failed++;
		else if (!success[0])
			snprintf(success, ssz, "%s", act);
	}
	for (size_t i = 0; i < ng; i++) {
		if (!group_field(&g[i], "Final-Recipient") && !group_field(&g[i], "Original-Recipient"))
			continue;
		named++;
		dsn_action(group_field(&g[i], "Action"), act, sizeof act);
		if (success_action(act))
			continue;
		struct bounce_rcpt *r = add_rcpt(b);
		if (!r)
			break;
		dsn_record(c, sc, &g[i], act, failed == 1, r);
	}
	free_groups(g, ng);
	return named;
}

/* Without a DSN: one record per recipient the text names, in its order. */
static void from_text(struct ctx *c, struct scan *sc, struct bounce *b)
{
	for (size_t i = 0; i < sc->ne; i++) {
		struct entry *en = &sc->e[i];
		if (en->used)
			continue;
		struct bounce_rcpt *r = add_rcpt(b);
		if (!r)
			break;
		r->source = c->format;
		take_entry(r, en, true);
		take_later(sc, r, en);
	}
	/* X-Failed-Recipients (Exim): the ones the text gave no refusal for */
	const char *xf = mime_field(&c->m.parts[0], "X-Failed-Recipients");
	while (xf && *xf) {
		size_t n = strcspn(xf, ",");
		char a[BOUNCE_ADDR_MAX];
		copy_field(a, sizeof a, xf, n);
		if (a[0] && strchr(a, '@')) {
			bool have = false;
			for (size_t k = 0; k < b->nrcpts && !have; k++)
				have = strcasecmp(b->rcpts[k].recipient, a) == 0;
			for (size_t k = 0; k < b->nrcpts && !have; k++)
				if (!b->rcpts[k].recipient[0]) {
					snprintf(b->rcpts[k].recipient, sizeof b->rcpts[k].recipient, "%s", a);
					have = true;
				}
			struct bounce_rcpt *r = have ? NULL : add_rcpt(b);
			if (r) {
				snprintf(r->recipient, sizeof r->recipient, "%s", a);
				r->source = c->format;
			}
		}
		xf += n;
		if (*xf == ',')
			xf++;
	}
	for (size_t k = 0; k < b->nrcpts; k++)
		finish_rcpt(&b->rcpts[k], c);
}

/*
 * Amazon SES's notifications (through SNS, as JSON in the text): its
 * fields are the DSN's under other names, so the notification is
 * rewritten as a delivery-status part and read as one.
 */
static const struct {
	const char *key;     /* the JSON member */
	const char *field;   /* the DSN field */
	const char *prefix;  /* put before the value ("rfc822; ") */
	bool recipient;      /* starts or belongs to a recipient's group */
} notification_fields[] = {
	{ "emailAddress", "Final-Recipient", "rfc822; ", true },
	{ "action", "Action", "", true },
	{ "status", "Status", "", true },
	{ "diagnosticCode", "Diagnostic-Code", "", true },
	{ "reportingMTA", "Reporting-MTA", "", false },
	{ "remoteMtaIp", "Remote-MTA", "dns; ", false },
	{ "source", "X-Postfix-Sender", "rfc822; ", false },
};

/* The JSON string at s (after its opening quote), unescaped into out; returns the octets read, 0 if unended. */
static size_t json_str(const char *s, size_t len, struct strbuf *out)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"')
			return i + 1;
		if (s[i] != '\\' || i + 1 >= len) {
			strbuf_putc(out, s[i] == '\n' ? ' ' : s[i]);
			continue;
		}
		i++;
		static const char esc[] = "\"\\/bfnrt", val[] = "\"\\/\b\f\n\r\t";
		const char *e = strchr(esc, s[i]);
		if (e && *e) {
			char v = val[e - esc];
			strbuf_putc(out, v == '\n' || v == '\r' ? ' ' : v);
		} else if (s[i] == 'u' && i + 4 < len) {
			unsigned cp = 0;
			for (int k = 1; k <= 4; k++)
				cp = cp * 16 + (unsigned)(text_hexval(s[i + k]) < 0 ? 0 : text_hexval(s[i + k]));
			i += 4;
			if (cp >= 0x20 && cp < 0x80)
				strbuf_putc(out, (char)cp);
			else
				strbuf_putc(out, '?');  /* addresses and codes are ASCII: the rest is only text */
		}
	}
	return 0;
}

/* SES's "notificationType": the kind, and for a bounce the DSN part it amounts to. */
static bool notification(const struct ctx *c, struct strbuf *dsn, enum bounce_kind *kind)
{
	const char *t = strbuf_str(&c->text);
	size_t n = c->text.len;
	while (n > 0 && (is_wsp(*t) || *t == '\n')) {
		t++;
		n--;
	}
	if (n == 0 || *t != '{' || !memmem(t, n, "\"notificationType\"", 18))
		return false;
	struct strbuf msg = STRBUF_INIT, rcpts = STRBUF_INIT, remote = STRBUF_INIT, type = STRBUF_INIT;
	bool in_group = false;
	for (size_t i = 0; i < n; i++) {
		if (t[i] != '"')
			continue;
		struct strbuf key = STRBUF_INIT, val = STRBUF_INIT;
		size_t k = json_str(t + i + 1, n - i - 1, &key);
		if (k == 0) {
			strbuf_free(&key);
			break;
		}
		size_t j = i + 1 + k;
		while (j < n && is_wsp(t[j]))
			j++;
		if (j >= n || t[j] != ':' ) {
			i = i + k;
			strbuf_free(&key);
			continue;
		}
		j++;
		while (j < n && is_wsp(t[j]))
			j++;
		size_t v = j < n && t[j] == '"' ? json_str(t + j + 1, n - j - 1, &val) : 0;
		if (strcmp(strbuf_str(&key), "notificationType") == 0)
			strbuf_puts(&type, strbuf_str(&val));
		for (size_t f = 0; v && f < sizeof notification_fields / sizeof notification_fields[0]; f++) {
			if (strcmp(strbuf_str(&key), notification_fields[f].key) != 0)
				continue;
			if (strcmp(notification_fields[f].field, "Remote-MTA") == 0) {
				strbuf_printf(&remote, "%s: %s%s\n", notification_fields[f].field, notification_fields[f].prefix, strbuf_str(&val));
				break;
			}
			struct strbuf *to = notification_fields[f].recipient ? &rcpts : &msg;
			if (notification_fields[f].recipient && f == 0) {
				if (in_group)
					strbuf_puts(&rcpts, "@REMOTE@\n");
				in_group = true;
			}
			strbuf_printf(to, "%s: %s%s\n", notification_fields[f].field, notification_fields[f].prefix, strbuf_str(&val));
			break;
		}
		i = v ? j + v : j - 1;
		strbuf_free(&key);
		strbuf_free(&val);
	}
	if (in_group)
		strbuf_puts(&rcpts, "@REMOTE@\n");
	/* the remote address is the message's: each recipient's group gets it */
	strbuf_append(dsn, strbuf_str(&msg), msg.len);
	const char *p = strbuf_str(&rcpts);
	for (const char *m; (m = strstr(p, "@REMOTE@\n")) != NULL; p = m + 9) {
		strbuf_puts(dsn, "\n");
		strbuf_append(dsn, p, (size_t)(m - p));
		strbuf_append(dsn, strbuf_str(&remote), remote.len);
	}
	const char *ty = strbuf_str(&type);
	*kind = strcmp(ty, "Bounce") == 0 ? BOUNCE_FAILURE : strcmp(ty, "Complaint") == 0 ? BOUNCE_FEEDBACK
	      : strcmp(ty, "Delivery") == 0 ? BOUNCE_SUCCESS : BOUNCE_NONE;
	strbuf_free(&msg);
	strbuf_free(&rcpts);
	strbuf_free(&remote);
	strbuf_free(&type);
	return true;
}

static bool is_type(const struct mime_part *p, const char *t)
{
	return strcmp(p->type, t) == 0;
}

static void parse_depth(const char *buf, size_t len, struct bounce *out, int depth);
static const struct mime_part *find_dsn(const struct mime_message *m, bool *arf);
static void read_records(struct ctx *c, const struct mime_part *dsn, struct bounce *out, int depth);

void bounce_parse(const char *buf, size_t len, struct bounce *out)
{
	parse_depth(buf, len, out, 0);
}

/*
 * A bounce forwarded as an attachment (to the helpdesk): when the message
 * itself is none, the first attached message that is one.
 */
static bool attached_bounce(const struct mime_message *m, struct bounce *out, int depth)
{
	for (size_t i = 1; depth < 2 && i < m->nparts; i++) {
		const struct mime_part *p = &m->parts[i];
		if (p->enclosed != 0 || (strcmp(p->type, "message/rfc822") != 0 && strcmp(p->type, "message/global") != 0))
			continue;
		struct bounce b;
		parse_depth(strbuf_str(&p->body), p->body.len, &b, depth + 1);
		if (b.kind == BOUNCE_FAILURE) {
			bounce_free(out);
			*out = b;
			return true;
		}
		bounce_free(&b);
	}
	return false;
}

static void parse_depth(const char *buf, size_t len, struct bounce *out, int depth)
{
	memset(out, 0, sizeof *out);
	size_t k = 0;
	while (k < len && (is_wsp(buf[k]) || buf[k] == '\n' || buf[k] == '\r'))
		k++;
	if (k == len) {
		out->kind = BOUNCE_EMPTY;
		return;
	}
	struct ctx c;
	memset(&c, 0, sizeof c);
	struct mime_part note;  /* SES's notification, rewritten as a DSN part */
	memset(&note, 0, sizeof note);
	mime_parse(buf, len, &c.m);
	const struct mime_part *top = &c.m.parts[0];
	c.subject = mime_field(top, "Subject");
	c.from = mime_field(top, "From");
	struct strbuf subj = STRBUF_INIT;
	if (c.subject)
		mime_decode_words(c.subject, strlen(c.subject), &subj);
	c.subject = strbuf_str(&subj);

	bool arf = false;
	const struct mime_part *dsn = find_dsn(&c.m, &arf);
	if (arf) {
		out->kind = BOUNCE_FEEDBACK;
		goto done;
	}
	collect_text(&c);
	detect_forward(&c);
	detect_format(&c);
	c.dsn_source = BSRC_DSN;
	enum bounce_kind nkind;
	if (!dsn && notification(&c, &note.body, &nkind)) {
		/* the JSON is data, not words to read */
		c.text.len = 0;
		if (nkind == BOUNCE_FEEDBACK || nkind == BOUNCE_SUCCESS) {
			out->kind = nkind;
			snprintf(out->detail, sizeof out->detail, "delivered");
			goto done;
		}
		c.format = BSRC_SES;
		c.dsn_source = BSRC_SES;
		dsn = &note;
	}
	if (!dsn && autoreply(&c)) {
		out->kind = BOUNCE_AUTOREPLY;
		snprintf(out->detail, sizeof out->detail, "out of office");
		goto done;
	}
	read_records(&c, dsn, out, depth);
done:
	strbuf_free(&note.body);
	strbuf_free(&subj);
	strbuf_free(&c.text);
	strbuf_free(&c.returned);
	mime_free(&c.m);
}

/* The delivery-status part of the bounce itself (not of a returned message); *arf when it is a feedback report. */
static const struct mime_part *find_dsn(const struct mime_message *m, bool *arf)
{
	char rt[64] = "";
	mime_param(mime_field(&m->parts[0], "Content-Type"), "report-type", rt, sizeof rt);
	*arf = strcasecmp(rt, "feedback-report") == 0;
	const struct mime_part *dsn = NULL;
	for (size_t i = 0; i < m->nparts; i++) {
		const struct mime_part *p = &m->parts[i];
		if (p->enclosed == 0 && is_type(p, "message/feedback-report"))
			*arf = true;
		if (p->enclosed == 0 && !dsn && (is_type(p, "message/delivery-status") || is_type(p, "message/global-delivery-status")))
			dsn = p;
	}
	return dsn;
}

/* The records: from the DSN (completed by the text) or from the text; else what the message is instead. */
static void read_records(struct ctx *c, const struct mime_part *dsn, struct bounce *out, int depth)
{
	if (!dsn) {
		find_sender(c, NULL);
		find_reporting(c, NULL);
	}
	struct scan sc;
	scan_init(&sc, strbuf_str(&c->text), c->text.len, NULL);
	/* the sender's own address is never a failed recipient, unless named after RCPT TO */
	char sender_guess[BOUNCE_ADDR_MAX] = "";
	if (!dsn)
		snprintf(sender_guess, sizeof sender_guess, "%s", c->sender);
	sc.exclude = sender_guess;
	sc.rcpt_lines = looks_like_bounce(c);
	char success[24] = "";
	if (dsn) {
		/* the sender is known only after the DSN's per-message fields: exclude it then */
		struct dsn_group *g = NULL;
		size_t ng = dsn_groups(strbuf_str(&dsn->body), dsn->body.len, &g);
		find_sender(c, ng > 0 ? group_field(&g[0], "X-Postfix-Sender") : NULL);
		free_groups(g, ng);
		snprintf(sender_guess, sizeof sender_guess, "%s", c->sender);
	}
	scan_text(&sc);
	size_t named = dsn ? from_dsn(c, &sc, out, dsn, success, sizeof success) : 0;
	if (!dsn || named == 0)
		from_text(c, &sc, out);
	scan_free(&sc);
	if (out->nrcpts > 0)
		out->kind = BOUNCE_FAILURE;
	else if (success[0]) {
		out->kind = BOUNCE_SUCCESS;
		snprintf(out->detail, sizeof out->detail, "%s", success);
	} else if (attached_bounce(&c->m, out, depth)) {
		/* out holds the attached bounce */
	} else if (autoreply(c)) {
		out->kind = BOUNCE_AUTOREPLY;
		snprintf(out->detail, sizeof out->detail, "out of office");
	} else {
		out->kind = BOUNCE_NONE;
	}
}

void bounce_free(struct bounce *b)
{
	for (size_t i = 0; i < b->nrcpts; i++)
		reply_free(&b->rcpts[i].reply);
	free(b->rcpts);
	memset(b, 0, sizeof *b);
}
