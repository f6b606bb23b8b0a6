#include "report.h"
int ctw_report_json(FILE *out, const struct ctw_host *h, const struct ctw_config *c, const struct ctw_findings *f) { return 0; }
