#include "report.h"
void ctw_report_text(FILE *out, const struct ctw_host *h, const struct ctw_config *c, const struct ctw_findings *f) { }
