#include "conf.h"
#include <errno.h>
int ctw_parse_duration_us(const char *s, uint64_t *out) { return -ENOSYS; }
int ctw_parse_percent(const char *s, double *out) { return -ENOSYS; }
int ctw_parse_u64(const char *s, uint64_t *out) { return -ENOSYS; }
void ctw_format_duration(uint64_t us, char *buf, size_t len) { if (len) buf[0] = 0; }
