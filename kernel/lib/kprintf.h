/*
 * kprintf.h - the kernel's own formatted output.
 *
 * Purpose: print from anywhere, including exception handlers and before
 * libc works: no allocation, no locks besides the console's, no floating
 * point.  Formats: %c %s %d %i %u %x %X %p %%, with the flags '-' and '0',
 * a width, a precision for %s (".N" or ".*"), and the length modifiers
 * l, ll, z.  newlib's printf is for applications; this is for the kernel.
 */
#ifndef TALLY_KPRINTF_H
#define TALLY_KPRINTF_H

#include <stdarg.h>
#include <stddef.h>

int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kvprintf(const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int kvsnprintf(char *buf, size_t n, const char *fmt, va_list ap);

#endif
