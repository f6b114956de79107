/*
 * pl011.c - the console of the aarch64 boot test image: an Arm PrimeCell
 * PL011 UART (QEMU virt's serial port), polled, transmit only.
 *
 * Purpose: kprintf's sink (console_write).  Once a64_console_route names
 * a console_ops (virt_test.c: the machine description's), every byte
 * goes through its putc instead.  The UART's base comes from the
 * device tree (the arm,pl011 named by /chosen stdout-path); before it is
 * known, output is dropped (dtboot.c reports a DTB it cannot use through
 * semihosting instead).
 *
 * Registers (PL011 TRM, DDI 0183): DR at 0x000, FR at 0x018 (bit 5 TXFF:
 * transmit FIFO full), CR at 0x030 (bit 0 UARTEN, bit 8 TXE).  The baud
 * rate and line format are the firmware's or QEMU's (QEMU ignores them);
 * if the UART is disabled it is enabled for transmit, nothing else.
 *
 * Invariants: a byte is written only when TXFF is clear; the wait for it
 * is bounded (PL011_SPIN reads of FR), after which the byte is dropped: a
 * UART that never drains cannot hang the machine.  "\n" goes
 * out as "\r\n".
 * Context: any; not reentrant (one CPU, interrupts masked).
 */
#include <stddef.h>
#include <stdint.h>
#include "arch/aarch64/a64.h"
#include "kernel/console.h"

#define PL011_DR  0x000
#define PL011_FR  0x018
#define PL011_CR  0x030
#define FR_TXFF   (1u << 5)
#define CR_UARTEN (1u << 0)
#define CR_TXE    (1u << 8)
#define PL011_SPIN 1000000

static volatile uint32_t *uart;
static const struct console_ops *route;

void a64_console_route(const struct console_ops *ops)
{
	route = ops;
}

static inline uint32_t rd(unsigned off)
{
	return uart[off / 4];
}

static inline void wr(unsigned off, uint32_t v)
{
	uart[off / 4] = v;
}

void a64_pl011_init(uint64_t base)
{
	uart = (volatile uint32_t *)(uintptr_t)base;
	if ((rd(PL011_CR) & (CR_UARTEN | CR_TXE)) != (CR_UARTEN | CR_TXE))
		wr(PL011_CR, rd(PL011_CR) | CR_UARTEN | CR_TXE);
}

int a64_pl011_ready(void)
{
	return uart != NULL;
}

static void putb(char c)
{
	unsigned i;

	for (i = 0; i < PL011_SPIN && (rd(PL011_FR) & FR_TXFF); i++)
		;
	if (i < PL011_SPIN)
		wr(PL011_DR, (uint8_t)c);
}

void console_write(const char *s, size_t n)
{
	size_t i;

	if (route) {
		for (i = 0; i < n; i++) {
			if (s[i] == '\n')
				route->putc(route->ctx, '\r');
			route->putc(route->ctx, s[i]);
		}
		return;
	}
	if (!uart)
		return;
	for (i = 0; i < n; i++) {
		if (s[i] == '\n')
			putb('\r');
		putb(s[i]);
	}
}
