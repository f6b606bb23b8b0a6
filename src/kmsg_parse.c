#include "kmsg.h"
#include <errno.h>
int ctw_kmsg_parse_record(const char *buf, size_t len, struct ctw_kmsg_record *rec) { return -ENOSYS; }
enum ctw_kmsg_kind ctw_kmsg_classify(const struct ctw_kmsg_record *rec, uint64_t *netns_inode) { return CTW_KMSG_OTHER; }
void ctw_table_full_add(struct ctw_table_full *s, const struct ctw_kmsg_record *rec) { }
void ctw_table_full_add_buffer(struct ctw_table_full *s, const char *buf, size_t len) { }
