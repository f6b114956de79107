/*
 * options.c - the table of boot options and their setters.
 *
 * Purpose: the only list of valid keys; bootopt_parse() checks the command
 * line against it, and its error message lists these keys.  Adding an
 * option is adding a row here and a field in struct kopts (kernel.h).
 * Context: boot only.
 */
#include <string.h>
#include "kernel/bootopt.h"
#include "kernel/kernel.h"

struct kopts kopts = {
	.serial_port = 0x3f8,
	.serial_name = "com1",
	.test = NULL,
	.loglevel = 1,
	.dumpboot = 0,
};

static int set_serial(const char *v, const char **why)
{
	static const char *names[] = { "com1", "com2", "com3", "com4" };
	static const uint16_t ports[] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 };
	for (int i = 0; i < 4; i++) {
		if (strcmp(v, names[i]) == 0) {
			kopts.serial_port = ports[i];
			kopts.serial_name = names[i];
			return 0;
		}
	}
	unsigned long long p;
	if (strncmp(v, "0x", 2) == 0 && bootopt_parse_u64(v, &p) == 0 && p > 0 && p <= 0xfff8) {
		kopts.serial_port = (uint16_t)p;
		kopts.serial_name = v;
		return 0;
	}
	*why = "expected com1|com2|com3|com4 or an I/O port like 0x3f8";
	return -1;
}

static int set_test(const char *v, const char **why)
{
	if (strcmp(v, "none") == 0) {
		kopts.test = NULL;
		return 0;
	}
	if (!*v) {
		*why = "expected all, none, or a test-name glob (e.g. pmem_*)";
		return -1;
	}
	kopts.test = strcmp(v, "all") == 0 ? "*" : v;
	return 0;
}

static int set_loglevel(const char *v, const char **why)
{
	unsigned long long n;
	if (bootopt_parse_u64(v, &n) < 0 || n > 3) {
		*why = "expected a number from 0 to 3";
		return -1;
	}
	kopts.loglevel = (int)n;
	return 0;
}

static int set_dumpboot(const char *v, const char **why)
{
	if (strcmp(v, "0") && strcmp(v, "1")) {
		*why = "expected 0 or 1";
		return -1;
	}
	kopts.dumpboot = v[0] == '1';
	return 0;
}

const struct bootopt kernel_bootopts[] = {
	{ "serial", "com1|com2|com3|com4|0xPORT: serial console port (default com1)", set_serial },
	{ "test", "all|none|GLOB: run on-target tests at boot instead of the application", set_test },
	{ "loglevel", "0..3: boot log detail (default 1)", set_loglevel },
	{ "dumpboot", "0|1: hex-dump the boot loader's data (for test fixtures)", set_dumpboot },
};
const unsigned kernel_bootopts_count = sizeof(kernel_bootopts) / sizeof(kernel_bootopts[0]);
