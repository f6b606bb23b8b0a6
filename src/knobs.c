#include "knobs.h"
#include <errno.h>
#include <sys/types.h>
int ctw_knobs_open(struct ctw_knobs *k, const char *root) { return -ENOSYS; }
void ctw_knobs_close(struct ctw_knobs *k) { }
const char *ctw_knob_sysctl_name(enum ctw_knob id) { return ""; }
const char *ctw_knob_path(const struct ctw_knobs *k, enum ctw_knob id) { return ""; }
enum ctw_knob_scope ctw_knob_scope(enum ctw_knob id) { return CTW_SCOPE_GLOBAL; }
bool ctw_knobs_conntrack_loaded(const struct ctw_knobs *k) { return false; }
bool ctw_knobs_global_writable(const struct ctw_knobs *k) { return false; }
int ctw_knob_read(const struct ctw_knobs *k, enum ctw_knob id, uint64_t *out) { return -ENOSYS; }
int ctw_knob_write(const struct ctw_knobs *k, enum ctw_knob id, uint64_t value, uint64_t *readback) { return -ENOSYS; }
ssize_t ctw_root_read_file(const struct ctw_knobs *k, const char *relpath, char *buf, size_t len) { return -ENOSYS; }
