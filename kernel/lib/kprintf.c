/*
 * kprintf.c - a small printf for the kernel (see kprintf.h for the formats).
 *
 * Data structures: an output sink (buffer with capacity, or the console in
 * 128-byte chunks).  Invariant: kvsnprintf always NUL-terminates when n > 0
 * and returns the length the full output would have had, like C's snprintf.
 * Context: any; reentrant (no static state besides the console lock).
 */
#include <stdint.h>
#include "kernel/lib/kprintf.h"
#include "kernel/console.h"

struct sink {
	char *buf;
	size_t cap, len;
	int console;
	char chunk[128];
	size_t clen;
};

static void put(struct sink *s, char c)
{
	if (s->console) {
		s->chunk[s->clen++] = c;
		if (s->clen == sizeof(s->chunk)) {
			console_write(s->chunk, s->clen);
			s->clen = 0;
		}
	} else if (s->len + 1 < s->cap) {
		s->buf[s->len] = c;
	}
	s->len++;
}

static void pad(struct sink *s, int n, char c)
{
	while (n-- > 0)
		put(s, c);
}

static void format(struct sink *s, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(s, *fmt);
			continue;
		}
		fmt++;
		int left = 0, zero = 0, width = 0, prec = -1, lng = 0;
		for (;; fmt++) {
			if (*fmt == '-')
				left = 1;
			else if (*fmt == '0')
				zero = 1;
			else
				break;
		}
		if (*fmt == '*') {
			width = va_arg(ap, int);
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		if (*fmt == '.') {
			fmt++;
			prec = 0;
			if (*fmt == '*') {
				prec = va_arg(ap, int);
				fmt++;
			}
			while (*fmt >= '0' && *fmt <= '9')
				prec = prec * 10 + (*fmt++ - '0');
		}
		while (*fmt == 'l' || *fmt == 'z') {
			lng++;
			fmt++;
		}
		char tmp[24];
		const char *str = tmp;
		int len = 0, neg = 0;
		uint64_t v;
		switch (*fmt) {
		case 'c':
			tmp[0] = (char)va_arg(ap, int);
			len = 1;
			break;
		case 's':
			str = va_arg(ap, const char *);
			if (!str)
				str = "(null)";
			while (str[len] && (prec < 0 || len < prec))
				len++;
			break;
		case 'd':
		case 'i': {
			int64_t x = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
			neg = x < 0;
			v = neg ? -(uint64_t)x : (uint64_t)x;
			goto number10;
		}
		case 'u':
			v = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
		number10:
			do {
				tmp[sizeof(tmp) - 1 - len++] = '0' + v % 10;
				v /= 10;
			} while (v);
			str = tmp + sizeof(tmp) - len;
			break;
		case 'p':
			put(s, '0');
			put(s, 'x');
			v = (uintptr_t)va_arg(ap, void *);
			zero = 1;
			width = 16;
			goto number16;
		case 'x':
		case 'X':
			v = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
		number16:
			do {
				tmp[sizeof(tmp) - 1 - len++] =
					"0123456789abcdef0123456789ABCDEF"[(v & 15) + (*fmt == 'X' ? 16 : 0)];
				v >>= 4;
			} while (v);
			str = tmp + sizeof(tmp) - len;
			break;
		case '%':
			put(s, '%');
			continue;
		case 0:
			return;
		default:
			put(s, '%');
			put(s, *fmt);
			continue;
		}
		int total = len + neg;
		if (!left && !zero)
			pad(s, width - total, ' ');
		if (neg)
			put(s, '-');
		if (!left && zero)
			pad(s, width - total, '0');
		for (int i = 0; i < len; i++)
			put(s, str[i]);
		if (left)
			pad(s, width - total, ' ');
	}
}

int kvsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
	struct sink s = { .buf = buf, .cap = n };
	format(&s, fmt, ap);
	if (n)
		buf[s.len < n ? s.len : n - 1] = 0;
	return (int)s.len;
}

int ksnprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = kvsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return r;
}

int kvprintf(const char *fmt, va_list ap)
{
	struct sink s = { .console = 1 };
	format(&s, fmt, ap);
	if (s.clen)
		console_write(s.chunk, s.clen);
	return (int)s.len;
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = kvprintf(fmt, ap);
	va_end(ap);
	return r;
}
