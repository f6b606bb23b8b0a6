#include "memory.h"
#include <errno.h>
int ctw_slabinfo_object_size(const char *buf, size_t len, uint64_t *objsize) { return -ENOSYS; }
int ctw_meminfo_total_bytes(const char *buf, size_t len, uint64_t *bytes) { return -ENOSYS; }
uint64_t ctw_table_bytes(uint64_t objsize, uint64_t entries, uint64_t buckets) { return 0; }
void ctw_memory_compute(struct ctw_memory *m, uint64_t count, uint64_t max, uint64_t buckets) { }
int ctw_memory_read(const struct ctw_knobs *k, struct ctw_memory *m, char *note, size_t notelen) { return -ENOSYS; }
