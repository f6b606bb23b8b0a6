#include "stats.h"
#include <errno.h>
int ctw_stats_parse_cpu_attrs(const void *attrs, size_t len, struct ctw_counters *acc) { return -ENOSYS; }
int ctw_stats_parse_global_attrs(const void *attrs, size_t len, struct ctw_stats *out) { return -ENOSYS; }
int ctw_stats_read_netlink(struct ctw_stats *out) { return -ENOSYS; }
