#include "stats.h"
#include <errno.h>
int ctw_stats_parse_procfs(const char *buf, size_t len, struct ctw_stats *out) { return -ENOSYS; }
int ctw_stats_read_procfs(const struct ctw_knobs *k, struct ctw_stats *out) { return -ENOSYS; }
