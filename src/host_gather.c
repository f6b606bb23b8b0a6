#include "host.h"
#include <string.h>
void ctw_host_note(struct ctw_host *h, const char *fmt, ...) { }
void ctw_host_gather(struct ctw_host *h, const struct ctw_knobs *k, bool use_netlink) { memset(h, 0, sizeof(*h)); }
double ctw_host_usage_pct(const struct ctw_host *h) { return 0; }
