/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One conntrack entry as a retirement pass or the audit's idle histogram sees
 * it (from one ctnetlink dump message), and what the retirement rule says to
 * do with it. Plain data, shared by kernel/ (which parses and acts), policy/
 * (which decides) and their callers. */
#ifndef CTW_CT_ENTRY_H
#define CTW_CT_ENTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "base/flow.h"

/* IPS_* status bits a pass looks at (linux/netfilter/nf_conntrack_common.h). */
#define CTW_IPS_ASSURED     (1u << 2)
#define CTW_IPS_SRC_NAT     (1u << 4)
#define CTW_IPS_DST_NAT     (1u << 5)
#define CTW_IPS_DYING       (1u << 9)
#define CTW_IPS_OFFLOAD     (1u << 14)
#define CTW_IPS_HW_OFFLOAD  (1u << 15)
/* IP_CT_TCP_FLAG_DATA_UNACKNOWLEDGED, in CTA_PROTOINFO_TCP_FLAGS_*. */
#define CTW_TCP_FLAG_DATA_UNACKNOWLEDGED 0x10

struct ctw_ct_entry {
	struct ctw_flow_key key;    /* original direction: family, proto, ports, TCP state */
	uint16_t sport;             /* original direction source port, host order (0: none) */
	uint16_t zone;              /* CTA_ZONE, 0 when absent */
	uint32_t id;                /* CTA_ID (kernel's id of this entry), 0 when absent */
	uint32_t status;            /* CTA_STATUS: IPS_* bits */
	uint32_t mark;              /* CTA_MARK, 0 when absent */
	bool has_timeout;           /* CTA_TIMEOUT present (offloaded entries carry none) */
	uint32_t timeout_left_s;    /* CTA_TIMEOUT: whole seconds left */
	uint8_t tcp_flags[2];       /* CTA_PROTOINFO_TCP_FLAGS_ORIGINAL / _REPLY flags (IP_CT_TCP_FLAG_*) */
};

enum ctw_retire_action {
	CTW_RETIRE_KEEP,            /* leave it: see reason */
	CTW_RETIRE_DELETE,          /* idle at least the new timeout: it would have expired */
	CTW_RETIRE_RETIME,          /* idle less: set its timeout to what the new value leaves it */
};

/* Why an entry is kept (counted per reason in a pass's report). */
enum ctw_retire_reason {
	CTW_RETIRE_OTHER_TIMEOUT,   /* governed by another timeout than the shortened one */
	CTW_RETIRE_WITHIN_NEW,      /* its time left is within the new value already */
	CTW_RETIRE_OFFLOADED,       /* IPS_OFFLOAD / IPS_HW_OFFLOAD, or no CTA_TIMEOUT */
	CTW_RETIRE_DYING,           /* IPS_DYING */
	CTW_RETIRE_NAT,             /* NATed, and retire_nat = no */
	CTW_RETIRE_EXCLUDED,        /* its mark or zone is excluded by the config */
	CTW_RETIRE_UNACKED,         /* TCP data unacknowledged: refreshed with a short special timeout */
	CTW_RETIRE_SPECIAL_WINDOW,  /* time left within the longest special TCP timeout: may be one */
	CTW_RETIRE_UNKNOWN_HISTORY, /* more time left than any value known to have been in force */
	CTW_RETIRE_REASON__COUNT,
	CTW_RETIRE_ACTED = CTW_RETIRE_REASON__COUNT  /* DELETE or RETIME: no reason to keep */
};

struct ctw_retire_decision {
	enum ctw_retire_action action;
	enum ctw_retire_reason reason;  /* for KEEP; CTW_RETIRE_ACTED otherwise */
	uint32_t idle_s;                /* the idle time the rule worked out (0 when unknown) */
	uint32_t retime_s;              /* for RETIME: the new timeout, >= 1 */
};

#endif
