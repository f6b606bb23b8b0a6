#include "limits.h"
uint64_t ctw_buckets_round(uint64_t buckets) { return buckets; }
uint64_t ctw_buckets_for_max(const struct ctw_config *c, uint64_t max) { return max; }
uint64_t ctw_max_allowed(const struct ctw_config *c, uint64_t objsize, uint64_t memtotal_bytes) { return 0; }
uint64_t ctw_max_target(const struct ctw_config *c, uint64_t count, uint64_t current_max, uint64_t allowed) { return current_max; }
