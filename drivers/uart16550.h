/*
 * uart16550.h - 16550-compatible serial port driver (polled).
 */
#ifndef TALLY_UART16550_H
#define TALLY_UART16550_H

#include <stdint.h>

struct uart16550 {
	uint16_t port;
	int ready;    /* initialised */
	int present;  /* scratch register answered */
};

/* Program 115200 8N1, FIFOs on, interrupts off.  Returns 0 if a UART
 * answered at the port (scratch-register test), -1 otherwise. */
int uart16550_init(struct uart16550 *u);
void uart16550_putc_ops(void *ctx, char c);
int uart16550_getc_ops(void *ctx);

#endif
