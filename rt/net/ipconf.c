/*
 * ipconf.c - parse the ip= boot option (ipconf.h).
 *
 * Purpose: "dhcp" or "A.B.C.D/N[,gw=E.F.G.H]" into address, mask and
 * gateway, every refusal with one line that names the bad part.
 * Invariants: on success the address is a unicast host address of its
 * subnet (neither the network nor the broadcast address) and the gateway,
 * when given, is another host of the same subnet.
 * Context: pure; any context, no allocation, no state.
 */
#include <stdio.h>
#include <string.h>
#include "rt/net/ipconf.h"

int net_ip_parse(const char *s, size_t n, uint32_t *ip)
{
	uint32_t v = 0;
	unsigned parts = 0;
	size_t i = 0;
	while (parts < 4) {
		unsigned x = 0, digits = 0;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (digits == 1 && x == 0)
				return -1;  /* a leading zero: "010" is not an octet here */
			x = x * 10 + (unsigned)(s[i] - '0');
			if (x > 255)
				return -1;
			digits++;
			i++;
		}
		if (!digits)
			return -1;
		v = v << 8 | x;
		parts++;
		if (parts < 4) {
			if (i >= n || s[i] != '.')
				return -1;
			i++;
		}
	}
	if (i != n)
		return -1;
	*ip = v;
	return 0;
}

char *net_ip_format(uint32_t ip, char *buf)
{
	snprintf(buf, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
	return buf;
}

static int fail(char *err, size_t n, const char *msg, const char *part, size_t plen)
{
	snprintf(err, n, "%s: \"%.*s\"", msg, (int)plen, part);
	return -1;
}

int net_ipconf_parse(const char *s, uint32_t *ip, uint32_t *mask, uint32_t *gw,
                     char *err, size_t errlen)
{
	*ip = *mask = *gw = 0;
	if (!strcmp(s, "dhcp"))
		return 0;
	const char *slash = strchr(s, '/');
	if (!slash)
		return fail(err, errlen, "expected dhcp or ADDRESS/PREFIX[,gw=ADDRESS], no /PREFIX in",
		            s, strlen(s));
	uint32_t a;
	if (net_ip_parse(s, (size_t)(slash - s), &a) < 0)
		return fail(err, errlen, "not an IPv4 address (four parts 0..255)", s, (size_t)(slash - s));
	const char *p = slash + 1;
	const char *comma = strchr(p, ',');
	size_t plen = comma ? (size_t)(comma - p) : strlen(p);
	unsigned prefix = 0;
	if (plen == 0 || plen > 2)
		return fail(err, errlen, "prefix length must be 1..30", p, plen);
	for (size_t i = 0; i < plen; i++) {
		if (p[i] < '0' || p[i] > '9')
			return fail(err, errlen, "prefix length must be 1..30", p, plen);
		prefix = prefix * 10 + (unsigned)(p[i] - '0');
	}
	if (prefix < 1 || prefix > 30)
		return fail(err, errlen, "prefix length must be 1..30", p, plen);
	uint32_t m = ~0u << (32 - prefix);
	char b[16];
	net_ip_format(a, b);
	if (a == 0 || a >> 28 >= 14 || a >> 24 == 127)
		return fail(err, errlen, "not a unicast host address", b, strlen(b));
	if ((a & ~m) == 0 || (a & ~m) == ~m)
		return fail(err, errlen, "the subnet's network or broadcast address, not a host", b,
		            strlen(b));
	uint32_t g = 0;
	if (comma) {
		const char *q = comma + 1;
		if (strncmp(q, "gw=", 3))
			return fail(err, errlen, "expected gw=ADDRESS after the comma", q, strlen(q));
		q += 3;
		if (net_ip_parse(q, strlen(q), &g) < 0)
			return fail(err, errlen, "gateway: not an IPv4 address (four parts 0..255)", q,
			            strlen(q));
		if ((g & m) != (a & m) || (g & ~m) == 0 || (g & ~m) == ~m)
			return fail(err, errlen, "gateway is not a host of the address's subnet", q,
			            strlen(q));
		if (g == a)
			return fail(err, errlen, "gateway is the address itself", q, strlen(q));
	}
	*ip = a;
	*mask = m;
	*gw = g;
	return 0;
}
