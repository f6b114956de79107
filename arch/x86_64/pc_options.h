/*
 * pc_options.h - the boot options of the PC machine (pc_options.c).
 */
#ifndef TALLY_PC_OPTIONS_H
#define TALLY_PC_OPTIONS_H

#include <stdint.h>

struct pc_opts {
	uint16_t serial_port;   /* serial=: the console's 16550 I/O port */
	const char *serial_name;
};
extern struct pc_opts pc_opts;

#endif
