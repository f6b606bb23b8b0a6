#include "conf.h"
#include <errno.h>
#include <string.h>
void ctw_config_defaults(struct ctw_config *c) { memset(c, 0, sizeof(*c)); }
int ctw_config_load(const char *path, bool must_exist, struct ctw_config *out, char *err, size_t errlen) { ctw_config_defaults(out); return 0; }
int ctw_config_parse_buffer(const char *name, const char *buf, size_t len, struct ctw_config *out, char *err, size_t errlen) { return -ENOSYS; }
