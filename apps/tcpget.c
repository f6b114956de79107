/*
 * tcpget.c - a TCP client on Tally's sockets: fetch one URL over HTTP/1.1
 * and print the status, the body's length and its SHA-256 (FIPS 180-4,
 * computed here), so a test can compare the hash with the one of the
 * bytes the server sent.
 *
 * Argument: http://A.B.C.D:PORT/PATH (a numeric address: there is no
 * DNS).  Under QEMU's user networking the host is 10.0.2.2:
 *
 *   make kernel APP=apps/tcpget.c OUT=build/x86_64/apps/tcpget
 *   python3 -m http.server 8000 --bind 127.0.0.1   (in another shell)
 *   python3 tools/tally_qemu.py --boot direct --out build/x86_64/apps/tcpget \
 *       --cmdline "-- http://10.0.2.2:8000/README.md" \
 *       --extra=-netdev --extra=user,id=n0 --extra=-device --extra=virtio-net-pci,netdev=n0
 *
 * The request says "Connection: close"; the body is what follows the
 * header up to the end of the stream (or Content-Length bytes, when the
 * server sends one).  Exit status 0 for a 2xx answer, 1 otherwise.
 *
 * Data structures: struct sha256 (the running hash state); the response
 * header is collected in an 8 KiB buffer, the body is hashed as it comes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tally.h>

struct sha256 {
	uint32_t h[8];
	uint8_t buf[64];
	uint64_t len;
};

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

#define ROR(x, n) ((x) >> (n) | (x) << (32 - (n)))

static void sha_block(struct sha256 *s, const uint8_t *p)
{
	uint32_t w[64], a[8];
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ w[i - 15] >> 3;
		uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ w[i - 2] >> 10;
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	memcpy(a, s->h, sizeof(a));
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = a[7] + (ROR(a[4], 6) ^ ROR(a[4], 11) ^ ROR(a[4], 25)) +
		              ((a[4] & a[5]) ^ (~a[4] & a[6])) + K[i] + w[i];
		uint32_t t2 = (ROR(a[0], 2) ^ ROR(a[0], 13) ^ ROR(a[0], 22)) +
		              ((a[0] & a[1]) ^ (a[0] & a[2]) ^ (a[1] & a[2]));
		memmove(a + 1, a, 7 * sizeof(a[0]));
		a[4] += t1;
		a[0] = t1 + t2;
	}
	for (int i = 0; i < 8; i++)
		s->h[i] += a[i];
}

static void sha_init(struct sha256 *s)
{
	static const uint32_t h0[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	                                0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	memcpy(s->h, h0, sizeof(h0));
	s->len = 0;
}

static void sha_update(struct sha256 *s, const uint8_t *p, size_t n)
{
	while (n) {
		size_t have = s->len % 64, k = 64 - have < n ? 64 - have : n;
		memcpy(s->buf + have, p, k);
		s->len += k, p += k, n -= k;
		if (s->len % 64 == 0)
			sha_block(s, s->buf);
	}
}

static void sha_final(struct sha256 *s, char hex[65])
{
	uint64_t bits = s->len * 8;
	uint8_t pad = 0x80, zero = 0, lenb[8];
	sha_update(s, &pad, 1);
	while (s->len % 64 != 56)
		sha_update(s, &zero, 1);
	for (int i = 0; i < 8; i++)
		lenb[i] = (uint8_t)(bits >> (56 - 8 * i));
	sha_update(s, lenb, 8);
	for (int i = 0; i < 8; i++)
		sprintf(hex + 8 * i, "%08lx", (unsigned long)s->h[i]);
}

int main(int argc, char **argv)
{
	unsigned a, b, c, d, port;
	char path[1024];
	if (argc != 2 || sscanf(argv[1], "http://%u.%u.%u.%u:%u%1023s", &a, &b, &c, &d, &port,
	                        path) != 6 || a > 255 || b > 255 || c > 255 || d > 255 ||
	    port == 0 || port > 65535 || path[0] != '/') {
		printf("tcpget: usage: tcpget http://A.B.C.D:PORT/PATH (numeric address)\n");
		return 2;
	}
	int r = tally_net_up(20000000000ull);
	if (r < 0) {
		printf("tcpget: no address: %s\n", tally_strerror(r));
		return 1;
	}
	struct tally_tcp *s;
	uint64_t t0 = tally_nanotime();
	r = tally_tcp_connect(&s, tally_ip4(a, b, c, d), (uint16_t)port, t0 + 30000000000ull);
	if (r < 0) {
		printf("tcpget: connect %u.%u.%u.%u:%u: %s\n", a, b, c, d, port, tally_strerror(r));
		return 1;
	}
	char req[1200];
	int n = snprintf(req, sizeof(req),
	                 "GET %s HTTP/1.1\r\nHost: %u.%u.%u.%u:%u\r\nUser-Agent: tally-tcpget\r\n"
	                 "Connection: close\r\n\r\n", path, a, b, c, d, port);
	long w = tally_tcp_write(s, req, (size_t)n);
	if (w != n) {
		printf("tcpget: write: %s\n", tally_strerror((int)w));
		tally_tcp_close(s);
		return 1;
	}
	tally_tcp_set_deadlines(s, tally_nanotime() + 120000000000ull, 0);
	static char head[8193];
	static uint8_t buf[16384];
	size_t hlen = 0;
	char *body0 = NULL;
	struct sha256 sh;
	sha_init(&sh);
	uint64_t blen = 0, clen = UINT64_MAX;
	int status = 0;
	for (;;) {
		long k = tally_tcp_read(s, buf, sizeof(buf));
		if (k < 0) {
			printf("tcpget: read: %s\n", tally_strerror((int)k));
			tally_tcp_close(s);
			return 1;
		}
		if (k == 0)
			break;
		size_t off = 0;
		if (!body0) {
			size_t take = (size_t)k < sizeof(head) - 1 - hlen ? (size_t)k : sizeof(head) - 1 - hlen;
			memcpy(head + hlen, buf, take);
			hlen += take;
			head[hlen] = 0;
			body0 = strstr(head, "\r\n\r\n");
			if (!body0) {
				if (hlen == sizeof(head) - 1) {
					printf("tcpget: response header past 8 KiB\n");
					tally_tcp_close(s);
					return 1;
				}
				continue;
			}
			size_t hdr = (size_t)(body0 - head) + 4;
			off = hdr - (hlen - take);  /* where the body starts in buf */
			if (sscanf(head, "HTTP/1.%*u %d", &status) != 1) {
				printf("tcpget: not an HTTP response\n");
				tally_tcp_close(s);
				return 1;
			}
			char *cl = strstr(head, "\r\nContent-Length:");
			if (!cl)
				cl = strstr(head, "\r\ncontent-length:");
			if (cl && cl < body0)
				clen = strtoull(cl + 17, NULL, 10);
		}
		size_t m = (size_t)k - off;
		if (blen + m > clen)
			m = (size_t)(clen - blen);
		sha_update(&sh, buf + off, m);
		blen += m;
		if (blen == clen)
			break;
	}
	tally_tcp_close(s);
	if (!body0) {
		printf("tcpget: the stream ended inside the header\n");
		return 1;
	}
	if (clen != UINT64_MAX && blen != clen) {
		printf("tcpget: %llu of %llu body bytes\n", (unsigned long long)blen,
		       (unsigned long long)clen);
		return 1;
	}
	char hex[65];
	sha_final(&sh, hex);
	double secs = (double)(tally_nanotime() - t0) / 1e9;
	printf("tcpget: status %d, %llu body bytes in %.2f s, sha256 %s\n", status,
	       (unsigned long long)blen, secs, hex);
	struct tally_net_stats ns;
	tally_net_stats(&ns);
	printf("tcpget: tcp.connected=%llu tcp.retransmits=%llu\n",
	       (unsigned long long)tally_net_stat(&ns, "tcp.connected"),
	       (unsigned long long)tally_net_stat(&ns, "tcp.retransmits"));
	return status >= 200 && status < 300 ? 0 : 1;
}
