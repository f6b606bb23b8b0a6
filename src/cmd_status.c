/* Placeholder. */
#include "cli.h"
int ctw_cmd_status(struct ctw_cli *cli) { (void)cli; return 3; }
