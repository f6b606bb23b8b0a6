#include <string.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stddef.h>
#include "daemon/status.h"
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctw_status st;
	char err[256];
	if (ctw_status_parse((const char *)data, size, &st, err, sizeof(err)) == 0) {
		struct json_object *o = ctw_status_to_json(&st);
		struct ctw_status back;
		const char *t;
		if (!o) return 0;
		t = json_object_to_json_string(o);
		if (ctw_status_parse(t, strlen(t), &back, err, sizeof(err)) != 0) __builtin_trap();
		json_object_put(o);
	}
	return 0;
}
