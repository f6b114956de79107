/*
 * pc_options.c - boot options of the PC machine: serial (the console's
 * 16550 port).
 *
 * Registered with BOOTOPT_SET (kernel/bootopt.h); the values land in
 * pc_opts (pc_options.h).
 * Context: boot only (and host tests, fuzzers): pure, no allocation.
 */
#include <stdint.h>
#include <string.h>
#include "arch/x86_64/pc_options.h"
#include "kernel/bootopt.h"

#define PC_OPTS_DEFAULT { .serial_port = 0x3f8, .serial_name = "com1" }
static const struct pc_opts defaults = PC_OPTS_DEFAULT;
struct pc_opts pc_opts = PC_OPTS_DEFAULT;

static int set_serial(const char *v, const char **why)
{
	static const char *names[] = { "com1", "com2", "com3", "com4" };
	static const uint16_t ports[] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 };
	for (int i = 0; i < 4; i++) {
		if (strcmp(v, names[i]) == 0) {
			pc_opts.serial_port = ports[i];
			pc_opts.serial_name = names[i];
			return 0;
		}
	}
	unsigned long long p;
	/* "0x" and hex digits only: no k/M suffix on a port */
	size_t hex = strspn(v + (strncmp(v, "0x", 2) == 0 ? 2 : 0), "0123456789abcdefABCDEF");
	if (strncmp(v, "0x", 2) == 0 && v[2 + hex] == '\0' && bootopt_parse_u64(v, &p) == 0 &&
	    p > 0 && p <= 0xfff8) {
		pc_opts.serial_port = (uint16_t)p;
		pc_opts.serial_name = v;
		return 0;
	}
	*why = "expected com1|com2|com3|com4 or an I/O port like 0x3f8";
	return -1;
}

static const struct bootopt opts[] = {
	{ "serial", "com1|com2|com3|com4|0xPORT: serial console port (default com1)", set_serial },
};

static void reset(void) { pc_opts = defaults; }

BOOTOPT_SET(pc, "pc", opts, sizeof(opts) / sizeof(opts[0]), reset, NULL);
