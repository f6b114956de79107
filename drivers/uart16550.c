/*
 * uart16550.c - polled driver for the 16550 UART (COM ports).
 *
 * Purpose: the default console.  Polled, no interrupts: output waits for
 * the transmit holding register to empty (bounded, so a missing or stuck
 * port cannot hang the machine).
 * Context: any; the console serialises callers.
 */
#include "drivers/uart16550.h"
#include "arch/arch.h"

enum { THR = 0, RBR = 0, DLL = 0, IER = 1, DLM = 1, FCR = 2, LCR = 3,
       MCR = 4, LSR = 5, SCR = 7 };

int uart16550_init(struct uart16550 *u)
{
	uint16_t p = u->port;
	arch_outb(p + SCR, 0x5a);
	u->present = arch_inb(p + SCR) == 0x5a;
	arch_outb(p + IER, 0x00);
	arch_outb(p + LCR, 0x80);   /* DLAB */
	arch_outb(p + DLL, 1);      /* 115200 baud */
	arch_outb(p + DLM, 0);
	arch_outb(p + LCR, 0x03);   /* 8N1 */
	arch_outb(p + FCR, 0xc7);   /* FIFO on, clear, 14-byte threshold */
	arch_outb(p + MCR, 0x03);   /* DTR | RTS */
	u->ready = 1;
	return u->present ? 0 : -1;
}

void uart16550_putc_ops(void *ctx, char c)
{
	struct uart16550 *u = ctx;
	for (int i = 0; i < 100000 && !(arch_inb(u->port + LSR) & 0x20); i++)
		arch_pause();
	arch_outb(u->port + THR, (uint8_t)c);
}

int uart16550_getc_ops(void *ctx)
{
	struct uart16550 *u = ctx;
	if (arch_inb(u->port + LSR) & 0x01)
		return arch_inb(u->port + RBR);
	return -1;
}
