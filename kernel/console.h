/*
 * console.h - where kernel and application text goes.
 *
 * Purpose: one console made of ops structs picked at boot by the machine
 * description (kernel/machine.h: a PC's serial port, selectable;
 * a framebuffer console can be added as another ops).  console_write() translates "\n" to "\r\n", keeps lines of other
 * CPUs from mixing (a lock, console.c) and is safe to call from exception
 * and NMI handlers.  Before console_init() output goes to the machine's
 * early console.
 */
#ifndef TALLY_CONSOLE_H
#define TALLY_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

struct console_ops {
	const char *name;
	void (*putc)(void *ctx, char c);
	int (*getc)(void *ctx);  /* -1 when no byte is waiting */
	void *ctx;
};

void console_init(const struct console_ops *ops);
void console_write(const char *s, size_t n);
int console_getc(void);
const char *console_name(void);

/* 1 when the last byte written ended a line (nothing written yet: 1). */
int console_at_line_start(void);

#endif
