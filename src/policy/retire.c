/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The retirement rule (policy/retire.h): which entries a shortened timeout
 * says are dead, worked out so that a live flow's entry is never taken for a
 * dead one. */
#include "policy/retire.h"

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/netfilter/nf_conntrack_tcp.h>

/* IPPROTO_UDPLITE, SCTP, DCCP and GRE have trackers of their own whose
 * timeouts are not in the table: none of ours governs them. */
#define PROTO_UDPLITE 136
#define PROTO_SCTP 132
#define PROTO_DCCP 33
#define PROTO_GRE 47

static int tcp_governing(uint8_t state)
{
	switch (state) {
	case TCP_CONNTRACK_SYN_SENT:    return CTW_TO_TCP_SYN_SENT;
	case TCP_CONNTRACK_SYN_RECV:    return CTW_TO_TCP_SYN_RECV;
	case TCP_CONNTRACK_ESTABLISHED: return CTW_TO_TCP_ESTABLISHED;
	case TCP_CONNTRACK_FIN_WAIT:    return CTW_TO_TCP_FIN_WAIT;
	case TCP_CONNTRACK_CLOSE_WAIT:  return CTW_TO_TCP_CLOSE_WAIT;
	case TCP_CONNTRACK_LAST_ACK:    return CTW_TO_TCP_LAST_ACK;
	case TCP_CONNTRACK_TIME_WAIT:   return CTW_TO_TCP_TIME_WAIT;
	case TCP_CONNTRACK_CLOSE:       return CTW_TO_TCP_CLOSE;
	default:                        return -1;   /* NONE, SYN_SENT2: no sysctl of their own */
	}
}

int ctw_retire_governing(const struct ctw_ct_entry *e)
{
	switch (e->key.proto) {
	case IPPROTO_TCP:
		return tcp_governing(e->key.tcp_state);
	case IPPROTO_UDP:
	case PROTO_UDPLITE:
		/* The kernel refreshes an assured UDP entry with the stream
		 * timeout, any other with udp_timeout. */
		return e->status & CTW_IPS_ASSURED ? CTW_TO_UDP_STREAM : CTW_TO_UDP;
	case IPPROTO_ICMP:
		return e->key.family == AF_INET ? CTW_TO_ICMP : -1;
	case IPPROTO_ICMPV6:
		return e->key.family == AF_INET6 ? CTW_TO_ICMPV6 : -1;
	case PROTO_SCTP:
	case PROTO_DCCP:
	case PROTO_GRE:
		return -1;
	default:
		return CTW_TO_GENERIC;
	}
}

uint8_t ctw_retire_l4proto(enum ctw_timeout t)
{
	switch (t) {
	case CTW_TO_UDP:
	case CTW_TO_UDP_STREAM:
		return IPPROTO_UDP;
	case CTW_TO_ICMP:
		return IPPROTO_ICMP;
	case CTW_TO_ICMPV6:
		return IPPROTO_ICMPV6;
	case CTW_TO_GENERIC:
		return 0;
	default:
		return IPPROTO_TCP;
	}
}

const char *ctw_retire_reason_name(enum ctw_retire_reason r)
{
	static const char *const names[CTW_RETIRE_REASON__COUNT] = {
		[CTW_RETIRE_OTHER_TIMEOUT] = "other_timeout",
		[CTW_RETIRE_WITHIN_NEW] = "within_new",
		[CTW_RETIRE_OFFLOADED] = "offloaded",
		[CTW_RETIRE_DYING] = "dying",
		[CTW_RETIRE_NAT] = "nat",
		[CTW_RETIRE_EXCLUDED] = "excluded",
		[CTW_RETIRE_UNACKED] = "unacked",
		[CTW_RETIRE_SPECIAL_WINDOW] = "special_window",
		[CTW_RETIRE_UNKNOWN_HISTORY] = "unknown_history",
	};

	return (unsigned)r < CTW_RETIRE_REASON__COUNT && names[r] ? names[r] : "?";
}

/* Insert v into the sorted, duplicate-free list a[0..*n). */
static int known_add(uint32_t *a, unsigned *n, uint32_t v)
{
	unsigned i = 0;

	while (i < *n && a[i] < v)
		i++;
	if (i < *n && a[i] == v)
		return 0;
	if (*n == CTW_RETIRE_KNOWN_MAX)
		return -EINVAL;
	for (unsigned j = *n; j > i; j--)
		a[j] = a[j - 1];
	a[i] = v;
	(*n)++;
	return 0;
}

int ctw_retire_rule_init(struct ctw_retire_rule *r, enum ctw_timeout timeout, uint32_t new_s,
			 const uint32_t *known_s, size_t n_known, uint32_t special_s, bool retire_nat)
{
	const struct ctw_timeout_info *info = ctw_timeout_info(timeout);

	if (!info || new_s == 0)
		return -EINVAL;
	*r = (struct ctw_retire_rule){ .timeout = timeout, .new_s = new_s, .special_s = special_s,
				       .retire_nat = retire_nat, .new_age_s = CTW_RETIRE_AGE_UNKNOWN };
	if (known_add(r->known_s, &r->n_known, new_s) < 0 ||
	    known_add(r->known_s, &r->n_known, info->kernel_default) < 0)
		return -EINVAL;
	for (size_t i = 0; i < n_known; i++)
		if (known_s[i] == 0 || known_add(r->known_s, &r->n_known, known_s[i]) < 0)
			return -EINVAL;
	return 0;
}

int ctw_retire_rule_exclude(struct ctw_retire_rule *r, const struct ctw_config *cfg)
{
	if (cfg->n_retire_exclude_mark > CTW_RETIRE_EXCLUDE_MAX || cfg->n_retire_exclude_zone > CTW_RETIRE_EXCLUDE_MAX)
		return -EINVAL;
	for (unsigned i = 0; i < cfg->n_retire_exclude_mark; i++) {
		r->exclude_mark[i].value = cfg->retire_exclude_mark[i].value;
		r->exclude_mark[i].mask = cfg->retire_exclude_mark[i].mask;
	}
	r->n_exclude_mark = cfg->n_retire_exclude_mark;
	for (unsigned i = 0; i < cfg->n_retire_exclude_zone; i++)
		r->exclude_zone[i] = cfg->retire_exclude_zone[i];
	r->n_exclude_zone = cfg->n_retire_exclude_zone;
	return 0;
}

static bool excluded(const struct ctw_retire_rule *r, const struct ctw_ct_entry *e)
{
	for (unsigned i = 0; i < r->n_exclude_mark; i++)
		if ((e->mark & r->exclude_mark[i].mask) == r->exclude_mark[i].value)
			return true;
	for (unsigned i = 0; i < r->n_exclude_zone; i++)
		if (e->zone == r->exclude_zone[i])
			return true;
	return false;
}

/* The smallest of the sorted known[0..n) that is >= left, 0 when none. */
static uint32_t value_at_refresh(const uint32_t *known, unsigned n, uint32_t left)
{
	for (unsigned i = 0; i < n; i++)
		if (known[i] >= left)
			return known[i];
	return 0;
}

/* The same, new_s left out (a value smaller than it may be the one). */
static uint32_t value_at_refresh_but(const uint32_t *known, unsigned n, uint32_t left, uint32_t new_s)
{
	for (unsigned i = 0; i < n; i++)
		if (known[i] >= left && known[i] != new_s)
			return known[i];
	return 0;
}

/* A lower bound of the idle time: CTA_TIMEOUT is the time left rounded down,
 * so the true time left may be up to a second more. 0 when unknown. */
static uint32_t idle_lower_bound(uint32_t at_refresh, uint32_t left)
{
	return at_refresh > left ? at_refresh - left - 1 : 0;
}

static void keep(struct ctw_retire_decision *out, enum ctw_retire_reason why, uint32_t idle_s)
{
	*out = (struct ctw_retire_decision){ .action = CTW_RETIRE_KEEP, .reason = why, .idle_s = idle_s };
}

void ctw_retire_decide(const struct ctw_retire_rule *r, const struct ctw_ct_entry *e,
		       struct ctw_retire_decision *out)
{
	uint32_t left = e->timeout_left_s, at_refresh, idle;

	if (ctw_retire_governing(e) != (int)r->timeout)
		return keep(out, CTW_RETIRE_OTHER_TIMEOUT, 0);
	if (e->status & CTW_IPS_DYING)
		return keep(out, CTW_RETIRE_DYING, 0);
	if ((e->status & (CTW_IPS_OFFLOAD | CTW_IPS_HW_OFFLOAD)) || !e->has_timeout)
		return keep(out, CTW_RETIRE_OFFLOADED, 0);
	if (excluded(r, e))
		return keep(out, CTW_RETIRE_EXCLUDED, 0);
	if ((e->status & (CTW_IPS_SRC_NAT | CTW_IPS_DST_NAT)) && !r->retire_nat)
		return keep(out, CTW_RETIRE_NAT, 0);
	if (e->key.proto == IPPROTO_TCP) {
		/* The kernel refreshes a connection with unacknowledged data
		 * or too many retransmissions with the short special timeouts:
		 * "established value - time left" would call it days idle. */
		if ((e->tcp_flags[0] | e->tcp_flags[1]) & CTW_TCP_FLAG_DATA_UNACKNOWLEDGED)
			return keep(out, CTW_RETIRE_UNACKED, 0);
		if (left <= r->special_s)
			return keep(out, CTW_RETIRE_SPECIAL_WINDOW, 0);
	}
	if (left <= r->new_s) {
		/* Refreshed under new_s, it would have at least new_s -
		 * new_age_s - 1 left; less, and it was refreshed under
		 * another value: measure against the smallest that fits. */
		if ((uint64_t)left + r->new_age_s + 1 >= r->new_s)
			return keep(out, CTW_RETIRE_WITHIN_NEW, 0);
		at_refresh = value_at_refresh_but(r->known_s, r->n_known, left, r->new_s);
		idle = at_refresh ? idle_lower_bound(at_refresh, left) : 0;
		/* Not idle enough to go: it expires within new_s anyway. */
		if (idle < r->new_s)
			return keep(out, CTW_RETIRE_WITHIN_NEW, 0);
		*out = (struct ctw_retire_decision){ .action = CTW_RETIRE_DELETE, .reason = CTW_RETIRE_ACTED,
						     .idle_s = idle };
		return;
	}
	at_refresh = value_at_refresh(r->known_s, r->n_known, left);
	if (at_refresh == 0)
		return keep(out, CTW_RETIRE_UNKNOWN_HISTORY, 0);
	idle = idle_lower_bound(at_refresh, left);
	if (idle >= r->new_s) {
		*out = (struct ctw_retire_decision){ .action = CTW_RETIRE_DELETE, .reason = CTW_RETIRE_ACTED,
						     .idle_s = idle };
		return;
	}
	/* left > new_s >= at_refresh would contradict at_refresh >= left. */
	*out = (struct ctw_retire_decision){ .action = CTW_RETIRE_RETIME, .reason = CTW_RETIRE_ACTED,
					     .idle_s = idle, .retime_s = r->new_s - idle };
}

static enum ctw_idle_bucket bucket_of(uint32_t idle_s)
{
	if (idle_s < 60)
		return CTW_IDLE_MINUTE;
	if (idle_s < 3600)
		return CTW_IDLE_HOUR;
	if (idle_s < 86400)
		return CTW_IDLE_DAY;
	return CTW_IDLE_OLDER;
}

void ctw_idle_histogram_add(struct ctw_idle_histogram *h, const uint32_t known_s[CTW_TO__COUNT][CTW_RETIRE_KNOWN_MAX],
			    const unsigned n_known[CTW_TO__COUNT], const struct ctw_ct_entry *e)
{
	int t = ctw_retire_governing(e);
	uint32_t at_refresh;

	h->entries++;
	if (t < 0)
		return;
	if (!e->has_timeout || n_known[t] > CTW_RETIRE_KNOWN_MAX) {
		h->n[t][CTW_IDLE_UNKNOWN]++;
		return;
	}
	/* Unsorted here: the smallest value >= left, by a scan. */
	at_refresh = 0;
	for (unsigned i = 0; i < n_known[t]; i++)
		if (known_s[t][i] >= e->timeout_left_s && (at_refresh == 0 || known_s[t][i] < at_refresh))
			at_refresh = known_s[t][i];
	if (at_refresh == 0)
		h->n[t][CTW_IDLE_UNKNOWN]++;
	else
		h->n[t][bucket_of(idle_lower_bound(at_refresh, e->timeout_left_s))]++;
}
