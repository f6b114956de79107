/*
 * net_fx.c - load recorded frames and their tcpdump reading; the tests'
 * reference checksum (see net_fx.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/host/net_fx.h"

const char *const nfx_names[] = {
	"arp_icmp", "udp", "tcp", "dhcp", "dhcp_nak", "slirp_dhcp", "slirp_dhcp_restrict", NULL,
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void nfx_load(const char *name, struct nfx *f)
{
	char rel[256];
	uint8_t *b;
	size_t n, off = 24;

	memset(f, 0, sizeof *f);
	f->name = name;
	snprintf(rel, sizeof rel, "net/%s.pcap", name);
	const char *path = fx_path(rel);
	if (fx_read_file(path, &b, &n) != 0)
		fail_msg("cannot read %s", path);
	/* pcap, little-endian, microseconds, link type 1 (Ethernet) */
	if (n < 24 || le32(b) != 0xa1b2c3d4u || le32(b + 20) != 1)
		fail_msg("%s: not a little-endian Ethernet pcap", path);
	while (off < n) {
		if (n - off < 16 || f->n == NFX_MAX_FRAMES)
			fail_msg("%s: bad record at %zu", path, off);
		size_t cap = le32(b + off + 8), orig = le32(b + off + 12);
		if (cap != orig || cap > n - off - 16)
			fail_msg("%s: frame %zu cut or truncated", path, f->n);
		f->frame[f->n] = malloc(cap);
		assert_non_null(f->frame[f->n]);
		memcpy(f->frame[f->n], b + off + 16, cap);
		f->len[f->n++] = cap;
		off += 16 + cap;
	}
	free(b);
	if (fx_expect_load(path, &f->exp) != 0)
		fail_msg("%s: no .expect", path);
	size_t frames = fx_expect_count(&f->exp, "frame");
	if (frames != f->n)
		fail_msg("%s: %zu frames, .expect has %zu", path, f->n, frames);
}

void nfx_free(struct nfx *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->frame[i]);
	fx_expect_free(&f->exp);
}

const char *nfx_get(const struct nfx *f, size_t i, const char *key)
{
	size_t frame = 0;
	int in = 0;

	for (size_t k = 0; k < f->exp.n; k++) {
		if (strcmp(f->exp.key[k], "frame") == 0) {
			in = frame++ == i;
			continue;
		}
		if (in && strcmp(f->exp.key[k], key) == 0)
			return f->exp.val[k];
	}
	return NULL;
}

uint8_t *nfx_copy(const struct nfx *f, size_t i)
{
	uint8_t *c = malloc(f->len[i]);
	assert_non_null(c);
	memcpy(c, f->frame[i], f->len[i]);
	return c;
}

static uint32_t add_bytes(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		s += (i % 2 == 0) ? (uint32_t)p[i] << 8 : p[i];
		s = (s & 0xffff) + (s >> 16);   /* end-around carry */
	}
	return s;
}

uint16_t nfx_ref_csum(const uint8_t *pre, size_t npre, const uint8_t *p, size_t n)
{
	assert_true(npre % 2 == 0);
	uint32_t s = add_bytes(add_bytes(0, pre, npre), p, n);
	return (uint16_t)(~s & 0xffff);
}

void nfx_fix_ip(uint8_t *f, size_t len)
{
	uint8_t *ip = f + 14;
	size_t hl = (size_t)(ip[0] & 15) * 4;
	assert_true(len >= 14 + hl);
	ip[10] = ip[11] = 0;
	uint16_t c = nfx_ref_csum(NULL, 0, ip, hl);
	ip[10] = (uint8_t)(c >> 8), ip[11] = (uint8_t)c;
}

void nfx_fix_l4(uint8_t *f, size_t len)
{
	uint8_t *ip = f + 14;
	size_t hl = (size_t)(ip[0] & 15) * 4;
	size_t tot = (size_t)ip[2] << 8 | ip[3];
	assert_true(14 + tot <= len && tot >= hl);
	uint8_t *l4 = ip + hl;
	size_t n = tot - hl;
	uint8_t pre[12];
	memcpy(pre, ip + 12, 8);
	pre[8] = 0, pre[9] = ip[9], pre[10] = (uint8_t)(n >> 8), pre[11] = (uint8_t)n;
	size_t at;
	switch (ip[9]) {
	case 1: at = 2; break;
	case 6: at = 16; break;
	case 17:
		at = 6;
		if (l4[6] == 0 && l4[7] == 0)
			return;
		n = (size_t)l4[4] << 8 | l4[5];
		pre[10] = (uint8_t)(n >> 8), pre[11] = (uint8_t)n;
		break;
	default: fail_msg("nfx_fix_l4: protocol %u", ip[9]); return;
	}
	l4[at] = l4[at + 1] = 0;
	uint16_t c = ip[9] == 1 ? nfx_ref_csum(NULL, 0, l4, n) : nfx_ref_csum(pre, 12, l4, n);
	if (ip[9] == 17 && c == 0)
		c = 0xffff;
	l4[at] = (uint8_t)(c >> 8), l4[at + 1] = (uint8_t)c;
}

uint32_t nfx_ip(const char *s)
{
	unsigned a, b, c, d;
	if (sscanf(s, "%u.%u.%u.%u", &a, &b, &c, &d) != 4 || a > 255 || b > 255 || c > 255 || d > 255)
		fail_msg("not an address: %s", s);
	return a << 24 | b << 16 | c << 8 | d;
}

void nfx_mac(const char *s, uint8_t mac[6])
{
	unsigned m[6];
	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
		fail_msg("not a MAC: %s", s);
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
}
