/*
 * bootfmt.h - append-only string building for one-line error messages.
 *
 * Purpose: the boot parsers (ELF, PVH, multiboot2, boot options) report a
 * precise one-line reason on failure, but they run in places with no stdio:
 * inside the kernel before the console exists, inside the UEFI loader, and
 * in host tests.  These helpers append text and numbers to a fixed buffer.
 *
 * Data structures: a caller-owned char buffer of capacity len, always kept
 * NUL-terminated.  The helpers find the current end with a bounded scan.
 *
 * Invariants: after any call, buf[len-1] is within the string or the string
 * is shorter; output is silently truncated, never overflows.  buf == NULL or
 * len <= 0 makes every helper a no-op.
 *
 * Context: pure, header-only (static inline), uses no library function, so
 * it links into the GNU-EFI loader, the kernel and host tests alike.
 */
#ifndef TALLY_BOOTFMT_H
#define TALLY_BOOTFMT_H

#include <stdint.h>

static inline int bootfmt_end(const char *buf, int len)
{
	int i = 0;

	while (i < len - 1 && buf[i] != '\0')
		i++;
	return i;
}

/* Empty the buffer. */
static inline void bootfmt_clear(char *buf, int len)
{
	if (buf != 0 && len > 0)
		buf[0] = '\0';
}

/* Append at most n bytes of s (stops early at a NUL). */
static inline void bootfmt_catn(char *buf, int len, const char *s, uint64_t n)
{
	int i;
	uint64_t k = 0;

	if (buf == 0 || len <= 0 || s == 0)
		return;
	i = bootfmt_end(buf, len);
	while (k < n && s[k] != '\0' && i < len - 1)
		buf[i++] = s[k++];
	buf[i] = '\0';
}

static inline void bootfmt_cat(char *buf, int len, const char *s)
{
	bootfmt_catn(buf, len, s, UINT64_MAX);
}

/* Append v in lower-case hexadecimal with a 0x prefix. */
static inline void bootfmt_hex(char *buf, int len, uint64_t v)
{
	char tmp[19];
	int i = 18;

	tmp[i] = '\0';
	do {
		tmp[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v != 0);
	tmp[--i] = 'x';
	tmp[--i] = '0';
	bootfmt_cat(buf, len, &tmp[i]);
}

/* Append v in decimal. */
static inline void bootfmt_dec(char *buf, int len, uint64_t v)
{
	char tmp[21];
	int i = 20;

	tmp[i] = '\0';
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	bootfmt_cat(buf, len, &tmp[i]);
}

#endif
