/* Findings: pure decisions on a host snapshot. Every number a remedy names is
 * computed with limits.h, the same functions the daemon obeys, so the audit
 * never tells the operator to set what ctwarden itself would refuse. */
#include "policy/findings.h"

#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/conf.h"
#include "kernel/host.h"
#include "kernel/kmsg.h"
#include "kernel/knobs.h"
#include "policy/attribution.h"
#include "policy/bounds.h"
#include "base/timeouts.h"

#define SYSCTL_D_FILE "/etc/sysctl.d/90-ctwarden.conf"
#define MODPROBE_D_FILE "/etc/modprobe.d/nf_conntrack.conf"
#define READONLY_PREFIX "# run on the host (initial network namespace):"
#define RESIZE_NOTE "# a resize stops inserts while it rehashes: run at a quiet time"

/* Shortest established timeout the audit suggests: a day keeps idle but
 * legitimate sessions (ssh without keepalives, database pools) alive. */
#define ESTABLISHED_SUGGESTED_S 86400

/* Above this many entries per bucket a full table walks long chains whatever
 * the configured ratio says: that is worth a warning, not just a note. */
#define RATIO_WARN_MIN 8.0

/* The NOTRACK suggestion needs a sample big enough and one port dominating it. */
#define NOTRACK_MIN_SAMPLE 512
#define NOTRACK_MIN_SHARE_PCT 50.0

/* One evaluation: the inputs and the values several findings share. */
struct eval {
	const struct ctw_host *h;
	const struct ctw_config *c;
	struct ctw_findings *out;
	bool have_usage;       /* count and a non-zero max known */
	double usage;          /* percent of max */
	uint64_t objsize;
	uint64_t memtotal;     /* 0 unknown */
	uint64_t allowed;      /* ctw_max_allowed() */
	uint64_t drops, early_drops, chaintoolong;
	uint64_t earlier;      /* table-full records of an earlier netns with this inode */
	const char *raise_code;/* the finding that carries the "raise max" remedy */
};

const char *ctw_status_name(enum ctw_status s)
{
	switch (s) {
	case CTW_STATUS_OK: return "OK";
	case CTW_STATUS_WARNING: return "WARNING";
	case CTW_STATUS_CRITICAL: return "CRITICAL";
	case CTW_STATUS_UNKNOWN: break;
	}
	return "UNKNOWN";
}

const char *ctw_severity_name(enum ctw_severity s)
{
	switch (s) {
	case CTW_SEV_INFO: return "info";
	case CTW_SEV_WARNING: return "warning";
	case CTW_SEV_CRITICAL: return "critical";
	case CTW_SEV_UNKNOWN: break;
	}
	return "unknown";
}

int ctw_severity_rank(enum ctw_severity s)
{
	switch (s) {
	case CTW_SEV_INFO: return 0;
	case CTW_SEV_WARNING: return 1;
	case CTW_SEV_UNKNOWN: return 2;
	case CTW_SEV_CRITICAL: return 3;
	}
	return 2;
}

void ctw_format_bytes(uint64_t bytes, char *buf, size_t len)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	unsigned i = 0;

	if (bytes < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", bytes);
		return;
	}
	v /= 1024.0;
	while (v >= 1024.0 && i + 1 < sizeof(unit) / sizeof(unit[0])) {
		v /= 1024.0;
		i++;
	}
	snprintf(buf, len, "%.1f %s", v, unit[i]);
}

bool ctw_format_kmsg_time(uint64_t usec, bool iso, char *buf, size_t len)
{
	time_t t = ctw_kmsg_usec_to_wall(usec);
	struct tm tm;

	if (len)
		buf[0] = '\0';
	if (t <= 0 || !gmtime_r(&t, &tm))
		return false;
	return strftime(buf, len, iso ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M:%S UTC", &tm) > 0;
}

/* ---- building one finding ------------------------------------------------ */

static struct ctw_finding *finding_new(struct eval *e, enum ctw_severity sev, const char *code)
{
	struct ctw_finding *f;

	if (e->out->n >= CTW_MAX_FINDINGS)
		return NULL;
	f = &e->out->item[e->out->n++];
	memset(f, 0, sizeof(*f));
	f->severity = sev;
	snprintf(f->code, sizeof(f->code), "%s", code);
	return f;
}

static void msg_add(struct ctw_finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void msg_add(struct ctw_finding *f, const char *fmt, ...)
{
	size_t used = strlen(f->message);
	char part[sizeof(f->message)];
	va_list ap;
	int n;

	/* Whole sentences or nothing: a message cut mid-word reads as a bug. */
	va_start(ap, fmt);
	n = vsnprintf(part, sizeof(part), fmt, ap);
	va_end(ap);
	if (n < 0 || used + (size_t)n >= sizeof(f->message))
		return;
	memcpy(f->message + used, part, (size_t)n + 1);
}

/* Append one command line. A line that does not fit is left out whole:
 * a command cut in the middle must never be shown. */
static void remedy_add(struct ctw_finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void remedy_add(struct ctw_finding *f, const char *fmt, ...)
{
	size_t used = strlen(f->remedy);
	char line[sizeof(f->remedy)];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || used + (used ? 1 : 0) + (size_t)n >= sizeof(f->remedy))
		return;
	if (used)
		f->remedy[used++] = '\n';
	memcpy(f->remedy + used, line, (size_t)n + 1);
}

/* The global knobs can only be set from the initial netns: say where to run. */
static void remedy_global_prefix(const struct eval *e, struct ctw_finding *f)
{
	if (!e->h->global_writable && !strstr(f->remedy, READONLY_PREFIX))
		remedy_add(f, READONLY_PREFIX);
}

/* sysctl -w plus the line that makes it survive a reboot. Appending (>>)
 * never erases what an earlier remedy persisted; the last line wins. */
static void remedy_sysctl(struct ctw_finding *f, enum ctw_knob knob, uint64_t value)
{
	const char *name = ctw_knob_sysctl_name(knob);

	remedy_add(f, "sysctl -w %s=%" PRIu64, name, value);
	remedy_add(f, "echo '%s = %" PRIu64 "' >> " SYSCTL_D_FILE, name, value);
}

static void remedy_set_buckets(const struct eval *e, struct ctw_finding *f, uint64_t buckets)
{
	remedy_global_prefix(e, f);
	remedy_add(f, RESIZE_NOTE);
	remedy_add(f, "sysctl -w %s=%" PRIu64, ctw_knob_sysctl_name(CTW_KNOB_BUCKETS), buckets);
	/* The buckets sysctl may not exist yet when sysctl.d runs (module loaded
	 * later): the module option is what sizes the hash at load. */
	remedy_add(f, "echo 'options nf_conntrack hashsize=%" PRIu64 "' >> " MODPROBE_D_FILE, buckets);
}

static bool ratio_exceeded(const struct eval *e, uint64_t max, uint64_t buckets)
{
	return e->c->buckets_ratio > 0 && buckets > 0 &&
	       (double)max / (double)buckets > e->c->buckets_ratio;
}

/* Set max; grow the hash first when the new max would exceed the ratio. */
static void remedy_set_max(const struct eval *e, struct ctw_finding *f, uint64_t max)
{
	const struct ctw_host *h = e->h;

	remedy_global_prefix(e, f);
	if (h->have_buckets && ratio_exceeded(e, max, h->buckets)) {
		uint64_t b = ctw_buckets_for_max(e->c, max);

		if (b > h->buckets)
			remedy_set_buckets(e, f, b);
	}
	remedy_sysctl(f, CTW_KNOB_MAX, max);
}

static uint64_t established_suggested(const struct eval *e)
{
	uint64_t floor_s = e->c->timeout_floor_s[CTW_TO_TCP_ESTABLISHED];

	return floor_s > ESTABLISHED_SUGGESTED_S ? floor_s : ESTABLISHED_SUGGESTED_S;
}

static bool established_too_long(const struct eval *e)
{
	const struct ctw_host *h = e->h;

	return h->have_timeout[CTW_TO_TCP_ESTABLISHED] &&
	       h->timeout[CTW_TO_TCP_ESTABLISHED] > established_suggested(e);
}

static bool pressure_seen(const struct eval *e)
{
	const struct ctw_host *h = e->h;

	return (e->have_usage && e->usage >= e->c->warn_pct) || e->drops > 0 ||
	       (h->have_kmsg && h->table_full.records > e->earlier);
}

static const char *proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_UDP: return "udp";
	case IPPROTO_TCP: return "tcp";
	}
	return NULL;
}

/* Only when the sample shows one port dominating a table under pressure. */
static bool notrack_applies(const struct eval *e)
{
	const struct ctw_port_sample *p = &e->h->ports;

	return p->taken && p->sampled >= NOTRACK_MIN_SAMPLE && proto_name(p->top_proto) &&
	       100.0 * (double)p->top_count >= NOTRACK_MIN_SHARE_PCT * (double)p->sampled &&
	       pressure_seen(e);
}

static void remedy_notrack(struct ctw_finding *f, uint8_t proto, uint16_t port)
{
	const char *pn = proto_name(proto);

	remedy_add(f, "nft add table inet ctwarden_notrack");
	remedy_add(f, "nft add chain inet ctwarden_notrack pre "
		      "'{ type filter hook prerouting priority raw; }'");
	remedy_add(f, "nft add chain inet ctwarden_notrack out "
		      "'{ type filter hook output priority raw; }'");
	remedy_add(f, "nft add rule inet ctwarden_notrack pre %s dport %u notrack", pn, port);
	remedy_add(f, "nft add rule inet ctwarden_notrack out %s sport %u notrack", pn, port);
}

/* max cannot grow: say which limit holds it, point at what else frees room. */
static void limit_reached(const struct eval *e, struct ctw_finding *f)
{
	struct ctw_config budget_only = *e->c;
	uint64_t budget_max;

	budget_only.max_ceiling = UINT64_MAX;
	if (e->memtotal) {
		budget_max = ctw_max_allowed(&budget_only, e->objsize, e->memtotal);
		msg_add(f, " Its max is already at the limit ctwarden may set: ceiling %" PRIu64
			", memory budget %g%% = %" PRIu64 " entries.",
			e->c->max_ceiling, e->c->memory_budget_pct, budget_max);
	} else {
		msg_add(f, " Its max is already at the limit ctwarden may set: ceiling %" PRIu64
			", memory budget %g%% (RAM size unknown).", e->c->max_ceiling, e->c->memory_budget_pct);
	}
	if (established_too_long(e)) {
		msg_add(f, " Shorter established timeouts free room.");
		remedy_sysctl(f, CTW_KNOB_TIMEOUT(CTW_TO_TCP_ESTABLISHED), established_suggested(e));
	}
	if (notrack_applies(e)) {
		msg_add(f, " NOTRACK keeps the dominant service out.");
		remedy_notrack(f, e->h->ports.top_proto, e->h->ports.top_port);
	}
}

/* Raise max to target, or explain why it cannot grow. Only one finding carries
 * this remedy; the others point at it. */
static void raise_or_relieve(struct eval *e, struct ctw_finding *f, uint64_t target)
{
	if (e->raise_code) {
		msg_add(f, " The fix is under %s.", e->raise_code);
		return;
	}
	e->raise_code = f->code;
	if (target > e->h->max) {
		msg_add(f, " Raise max to %" PRIu64 ".", target);
		remedy_set_max(e, f, target);
	} else {
		limit_reached(e, f);
	}
}

/* For a table that was full in the past but is not now: size it so that a
 * full table (count = max) would come back to the low-water mark, which is
 * what the daemon does when it sees the table full; with the usual low water
 * of 50% that is twice the max, never above the allowed max. */
static void raise_for_past_full(struct eval *e, struct ctw_finding *f)
{
	const struct ctw_host *h = e->h;

	if (!h->have_max || h->max == 0)
		return;
	raise_or_relieve(e, f, ctw_max_target(e->c, h->max, h->max, e->allowed));
}

/* ---- the findings ----------------------------------------------------------- */

static void judge_usage(struct eval *e)
{
	const struct ctw_host *h = e->h;
	const struct ctw_config *c = e->c;
	struct ctw_finding *f;

	if (h->max == 0) {
		f = finding_new(e, CTW_SEV_WARNING, "max_unlimited");
		if (!f)
			return;
		msg_add(f, "nf_conntrack_max is 0: the table may grow without limit (%" PRIu64
			" entries now) until memory runs out. Set a max the memory budget allows: %" PRIu64 ".",
			h->count, e->allowed);
		if (e->allowed > 0)
			remedy_set_max(e, f, e->allowed);
		return;
	}
	if (e->usage >= c->crit_pct)
		f = finding_new(e, CTW_SEV_CRITICAL, "usage_critical");
	else if (e->usage >= c->warn_pct)
		f = finding_new(e, CTW_SEV_WARNING, "usage_warning");
	else
		return;
	if (!f)
		return;
	msg_add(f, "The table holds %" PRIu64 " of %" PRIu64 " entries (%.1f%%, %s at %g%%):"
		" when it is full, new connections are dropped.",
		h->count, h->max, e->usage, f->severity == CTW_SEV_CRITICAL ? "critical" : "warning",
		f->severity == CTW_SEV_CRITICAL ? c->crit_pct : c->warn_pct);
	raise_or_relieve(e, f, ctw_max_target(c, h->count, h->max, e->allowed));
}

static void judge_drops(struct eval *e)
{
	struct ctw_finding *f;

	if (e->drops > 0) {
		f = finding_new(e, CTW_SEV_CRITICAL, "drops_seen");
		if (f) {
			msg_add(f, "%" PRIu64 " packets were dropped because the table was full"
				" (kernel counter, since boot).", e->drops);
			raise_for_past_full(e, f);
		}
	}
	if (e->early_drops > 0) {
		f = finding_new(e, CTW_SEV_WARNING, "early_drops_seen");
		if (f) {
			msg_add(f, "%" PRIu64 " entries of not yet established flows were evicted early"
				" to make room: the table was full (kernel counter, since boot).",
				e->early_drops);
			raise_for_past_full(e, f);
		}
	}
}

static void describe_netns(const struct eval *e, struct ctw_finding *f)
{
	const struct ctw_table_full *t = &e->h->table_full;
	uint64_t listed = 0;

	msg_add(f, " In:");
	for (unsigned i = 0; i < t->n_netns && i < CTW_KMSG_MAX_NETNS; i++) {
		const struct ctw_table_full_netns *n = &t->netns[i];
		const char *sep = listed ? "," : "";

		/* An earlier netns with this inode has its own info finding. */
		if (n->inode == e->h->self_netns_inode && e->earlier)
			continue;
		if (n->inode == 0)
			msg_add(f, "%s no netns named (initial netns or older kernel) x%" PRIu64, sep, n->records);
		else if (n->inode == e->h->self_netns_inode)
			msg_add(f, "%s this netns (%" PRIu64 ") x%" PRIu64, sep, n->inode, n->records);
		else
			msg_add(f, "%s netns %" PRIu64 " x%" PRIu64, sep, n->inode, n->records);
		listed += n->records;
	}
	/* Only the first CTW_KMSG_MAX_NETNS distinct netns are kept by name. */
	if (listed < t->records - e->earlier)
		msg_add(f, ", others x%" PRIu64, t->records - e->earlier - listed);
	msg_add(f, ".");
}

/* Could any of the records be this netns? Unnamed ones may be the initial netns. */
static bool netns_self_listed(const struct eval *e)
{
	const struct ctw_table_full *t = &e->h->table_full;
	uint64_t listed = 0;

	if (!e->h->self_netns_inode)
		return true;
	for (unsigned i = 0; i < t->n_netns && i < CTW_KMSG_MAX_NETNS; i++) {
		if ((t->netns[i].inode == e->h->self_netns_inode && !e->earlier) ||
		    (t->netns[i].inode == 0 && e->h->global_writable))
			return true;
		listed += t->netns[i].records;
	}
	return listed < t->records;  /* some were not kept by name */
}

/* Records naming this netns's inode that it did not log (policy/attribution.h):
 * said, never counted against it. */
static void judge_earlier_netns(struct eval *e)
{
	struct ctw_finding *f;

	if (!e->earlier || !(f = finding_new(e, CTW_SEV_INFO, "table_full_earlier_netns")))
		return;
	msg_add(f, "%" PRIu64 " 'table full' messages name netns %" PRIu64 ", this namespace's inode, but"
		" its drop counter is 0: it never dropped a packet. They were logged by an earlier"
		" namespace with inode %" PRIu64 ", since deleted (the kernel reuses inodes).",
		e->earlier, e->h->self_netns_inode, e->h->self_netns_inode);
}

static void judge_kmsg(struct eval *e)
{
	const struct ctw_table_full *t = &e->h->table_full;
	char first[40], last[40];
	struct ctw_finding *f;

	if (!e->h->have_kmsg)
		return;
	/* Critical where it concerns this audit: on the host (its max is the one
	 * every netns is held to) or when this netns itself dropped. Seen from
	 * inside another netns, a neighbour's full table is a warning. */
	judge_earlier_netns(e);
	if (t->records > e->earlier &&
	    (f = finding_new(e, e->h->global_writable || netns_self_listed(e) ? CTW_SEV_CRITICAL : CTW_SEV_WARNING,
			     "table_full_logged"))) {
		uint64_t from = t->first_usec, to = t->last_usec;

		msg_add(f, "The kernel logged %" PRIu64 " 'table full, dropping packet' messages", t->records - e->earlier);
		if (e->earlier)
			ctw_table_full_span_without(t, e->h->self_netns_inode, &from, &to);
		if (ctw_format_kmsg_time(from, false, first, sizeof(first)) &&
		    ctw_format_kmsg_time(to, false, last, sizeof(last)))
			msg_add(f, " (%s to %s)", first, last);
		msg_add(f, ".");
		if (t->n_netns)
			describe_netns(e, f);
		msg_add(f, " The max applies to each netns separately.");
		if (!netns_self_listed(e))
			msg_add(f, " None was this netns: its own count says nothing about theirs.");
		raise_for_past_full(e, f);
	}
	if (t->expect_records > 0 && (f = finding_new(e, CTW_SEV_WARNING, "expect_table_full"))) {
		const char *name = ctw_knob_sysctl_name(CTW_KNOB_EXPECT_MAX);

		msg_add(f, "The kernel logged %" PRIu64 " 'expectation table full' messages: helper"
			" protocols (FTP, SIP...) could not open their related connections.",
			t->expect_records);
		remedy_global_prefix(e, f);
		remedy_add(f, "sysctl -w %s=$(( $(sysctl -n %s) * 2 ))", name, name);
		remedy_add(f, "echo \"%s = $(sysctl -n %s)\" >> " SYSCTL_D_FILE, name, name);
	}
}

static void judge_hash(struct eval *e)
{
	const struct ctw_host *h = e->h;
	const struct ctw_config *c = e->c;
	double ratio, warn_at;
	uint64_t for_max, want;
	struct ctw_finding *f;

	if (!h->have_max || !h->have_buckets || h->max == 0 || h->buckets == 0)
		return;
	/* A max above the allowed one is its own finding: size for what stays. */
	for_max = h->max > e->allowed ? e->allowed : h->max;
	want = ctw_buckets_for_max(c, for_max);
	ratio = (double)h->max / (double)h->buckets;
	warn_at = c->buckets_ratio > RATIO_WARN_MIN ? c->buckets_ratio : RATIO_WARN_MIN;
	if (ratio_exceeded(e, h->max, h->buckets) && want > h->buckets) {
		f = finding_new(e, ratio > warn_at ? CTW_SEV_WARNING : CTW_SEV_INFO, "hash_ratio_high");
		if (f) {
			msg_add(f, "max %" PRIu64 " over %" PRIu64 " buckets is %.1f entries per bucket"
				" (configured ratio %g): when the table fills, every lookup walks"
				" chains of %.1f entries on average. Grow the hash to %" PRIu64 " buckets.",
				h->max, h->buckets, ratio, c->buckets_ratio, ratio, want);
			remedy_set_buckets(e, f, want);
		}
	}
	if (e->chaintoolong > 0 && (f = finding_new(e, CTW_SEV_WARNING, "chain_too_long"))) {
		msg_add(f, "%" PRIu64 " packets were dropped because their hash chain was too long:"
			" too few buckets for the entries, or crafted traffic hitting one bucket.",
			e->chaintoolong);
		if (want > h->buckets) {
			msg_add(f, " Grow the hash to %" PRIu64 " buckets.", want);
			remedy_set_buckets(e, f, want);
		}
	}
}

static void judge_established(struct eval *e)
{
	const struct ctw_host *h = e->h;
	const struct ctw_timeout_info *ti = ctw_timeout_info(CTW_TO_TCP_ESTABLISHED);
	uint64_t v = established_suggested(e);
	struct ctw_finding *f;

	if (!h->have_timeout[CTW_TO_TCP_ESTABLISHED] || h->timeout[CTW_TO_TCP_ESTABLISHED] != ti->kernel_default)
		return;
	f = finding_new(e, pressure_seen(e) ? CTW_SEV_WARNING : CTW_SEV_INFO, "tcp_established_default");
	if (!f)
		return;
	msg_add(f, "%s is the kernel default %" PRIu32 " s (5 days): a TCP flow that vanished"
		" without FIN or RST keeps its entry that long. %" PRIu64 " s is enough for live sessions.",
		ti->name, ti->kernel_default, v);
	if (v < ti->kernel_default)
		remedy_sysctl(f, CTW_KNOB_TIMEOUT(CTW_TO_TCP_ESTABLISHED), v);
}

static void judge_memory(struct eval *e)
{
	const struct ctw_host *h = e->h;
	const struct ctw_memory *m = &h->memory;
	char at_max[32];
	struct ctw_finding *f;

	if (!h->have_memory || !h->have_max || h->max == 0 || m->memtotal_bytes == 0)
		return;
	if (m->percent_of_ram_at_max <= e->c->memory_budget_pct)
		return;
	f = finding_new(e, CTW_SEV_WARNING, "memory_over_budget");
	if (!f)
		return;
	ctw_format_bytes(m->bytes_at_max, at_max, sizeof(at_max));
	msg_add(f, "At its max the table would take %s (%.1f%% of RAM), above the budget %g%%.",
		at_max, m->percent_of_ram_at_max, e->c->memory_budget_pct);
	if (m->object_size_estimated)
		msg_add(f, " These are estimates: the entry size (%" PRIu64 " B) was not readable.",
			m->object_size);
	if (e->allowed == 0 || e->allowed >= h->max)
		return;
	msg_add(f, " The budget allows max %" PRIu64 ".", e->allowed);
	if (h->have_count && h->count > e->allowed)
		msg_add(f, " That is below the %" PRIu64 " entries now: new connections are dropped"
			" until old ones expire.", h->count);
	remedy_set_max(e, f, e->allowed);
}

static void judge_notrack(struct eval *e)
{
	const struct ctw_port_sample *p = &e->h->ports;
	struct ctw_finding *f;

	if (!notrack_applies(e) || !(f = finding_new(e, CTW_SEV_WARNING, "notrack_port")))
		return;
	/* With --top the whole table was counted, else a bounded sample. */
	msg_add(f, "%.0f%% of %" PRIu64 " %s are %s to port %u: a stateless service"
		" filling the table. NOTRACK keeps it out; stateful rules and NAT no longer see"
		" that traffic.", 100.0 * (double)p->top_count / (double)p->sampled, p->sampled,
		e->h->top ? "entries" : "sampled entries", proto_name(p->top_proto), p->top_port);
	remedy_notrack(f, p->top_proto, p->top_port);
}

static void judge_visibility(struct eval *e)
{
	struct ctw_finding *f;

	if (!e->h->global_writable && (f = finding_new(e, CTW_SEV_INFO, "netns_readonly")))
		msg_add(f, "Not the initial network namespace: nf_conntrack_max and buckets are"
			" read-only here; their remedies must run on the host.");
	if (!e->h->have_stats && (f = finding_new(e, CTW_SEV_INFO, "stats_unavailable")))
		msg_add(f, "The conntrack statistics could not be read (neither ctnetlink nor"
			" /proc/net/stat/nf_conntrack): drops cannot be judged.");
	if (!e->h->have_kmsg && (f = finding_new(e, CTW_SEV_INFO, "kmsg_unavailable")))
		msg_add(f, "The kernel log (/dev/kmsg) could not be read: table-full messages"
			" cannot be counted.");
}

static uint64_t counter(const struct ctw_host *h, enum ctw_counter id)
{
	if (!h->have_stats || !(h->stats.counters.present & (1u << id)))
		return 0;
	return h->stats.counters.value[id];
}

/* Worst first; equal severities keep the order they were judged in. */
static void sort_by_severity(struct ctw_findings *out)
{
	for (unsigned i = 1; i < out->n; i++) {
		struct ctw_finding tmp = out->item[i];
		unsigned j = i;

		while (j > 0 && ctw_severity_rank(out->item[j - 1].severity) < ctw_severity_rank(tmp.severity)) {
			out->item[j] = out->item[j - 1];
			j--;
		}
		out->item[j] = tmp;
	}
}

static enum ctw_status status_of(const struct ctw_findings *out)
{
	enum ctw_status s = CTW_STATUS_OK;
	int worst = 0;

	for (unsigned i = 0; i < out->n; i++) {
		int r = ctw_severity_rank(out->item[i].severity);

		if (r <= worst)
			continue;
		worst = r;
		switch (out->item[i].severity) {
		case CTW_SEV_WARNING: s = CTW_STATUS_WARNING; break;
		case CTW_SEV_CRITICAL: s = CTW_STATUS_CRITICAL; break;
		case CTW_SEV_UNKNOWN: s = CTW_STATUS_UNKNOWN; break;
		case CTW_SEV_INFO: break;
		}
	}
	return s;
}

void ctw_findings_evaluate(const struct ctw_host *h, const struct ctw_config *c, struct ctw_findings *out)
{
	struct eval e = { .h = h, .c = c, .out = out };
	struct ctw_finding *f;

	memset(out, 0, sizeof(*out));
	if (!h->loaded) {
		f = finding_new(&e, CTW_SEV_UNKNOWN, "not_loaded");
		msg_add(f, "nf_conntrack is not loaded here: there is no connection tracking to audit.");
		out->status = CTW_STATUS_UNKNOWN;
		return;
	}
	e.objsize = h->have_memory && h->memory.object_size ? h->memory.object_size : CTW_OBJSIZE_ESTIMATE;
	e.memtotal = h->have_memory ? h->memory.memtotal_bytes : 0;
	e.allowed = ctw_max_allowed(c, e.objsize, e.memtotal);
	e.have_usage = h->have_count && h->have_max && h->max > 0;
	e.usage = ctw_host_usage_pct(h);
	e.drops = counter(h, CTW_CTR_DROP);
	e.early_drops = counter(h, CTW_CTR_EARLY_DROP);
	e.chaintoolong = counter(h, CTW_CTR_CHAIN_TOOLONG);
	if (h->have_kmsg) {
		struct ctw_attr_netns self;

		ctw_attr_netns_of_host(h, &self);
		e.earlier = ctw_table_full_earlier(&h->table_full, &self);
	}

	if (!h->have_count || !h->have_max) {
		f = finding_new(&e, CTW_SEV_UNKNOWN, "usage_unknown");
		msg_add(f, "nf_conntrack_%s could not be read: how full the table is is unknown.",
			!h->have_count && !h->have_max ? "count and nf_conntrack_max" :
			!h->have_count ? "count" : "max");
	} else {
		judge_usage(&e);
	}
	judge_drops(&e);
	judge_kmsg(&e);
	judge_hash(&e);
	judge_established(&e);
	judge_memory(&e);
	judge_notrack(&e);
	judge_visibility(&e);

	sort_by_severity(out);
	out->status = status_of(out);
}
