/*
 * console.c - the console multiplexer (see console.h).
 *
 * Locking: none yet: one CPU.  The SMP issue adds a lock that an exception
 * handler may break to get a crash report out.
 * Context: any.
 */
#include "kernel/console.h"
#include "drivers/uart16550.h"

static struct uart16550 early = { .port = 0x3f8 };
static const struct console_ops early_ops = {
	"com1 (early)", uart16550_putc_ops, uart16550_getc_ops, &early,
};
static const struct console_ops *cur;

void console_init(const struct console_ops *ops) { cur = ops; }

const char *console_name(void) { return cur ? cur->name : early_ops.name; }

void console_write(const char *s, size_t n)
{
	const struct console_ops *o = cur;
	if (!o) {
		if (!early.ready)
			uart16550_init(&early);
		o = &early_ops;
	}
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			o->putc(o->ctx, '\r');
		o->putc(o->ctx, s[i]);
	}
}

int console_getc(void)
{
	const struct console_ops *o = cur ? cur : &early_ops;
	return o->getc ? o->getc(o->ctx) : -1;
}
