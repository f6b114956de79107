/*
 * fuzz_tcp.c - net_tcp_parse and net_tcp_parse_options (rt/net/tcp_wire.c).
 *
 * Input: one TCP segment (header, options, payload), between 192.0.2.1
 * and 192.0.2.2.  Seeds: the segments of tests/fixtures/net/tcp.pcap.  The
 * segment is parsed as it is, then on a copy whose checksum the harness
 * recomputed (so random options are reached), and its first 40 bytes are
 * handed to the option parser alone.
 *
 * Promises checked (net.h): a NET_OK view lies inside the segment, its
 * header length is 20..60 in words, the checksum verifies, window scale
 * <= 14 and at most 4 SACK blocks; the builder rebuilds a segment that
 * parses to the same view, or refuses options past 40 bytes.
 */
#include "tests/fuzz/fuzz_net_check.h"

#define SRC 0xc0000201u
#define DST 0xc0000202u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_tcp v;
	struct net_tcp_opts o;

	if (net_tcp_parse(data, size, SRC, DST, &v) == NET_OK)
		fz_check_tcp(data, size, SRC, DST, &v);
	if (net_tcp_parse_options(data, size < 40 ? size : 40, &o) == NET_OK)
		FZ_CHECK(o.nsack <= NET_TCP_MAX_SACK && o.wscale <= TCP_MAX_WSCALE);
	if (size < 20 || size > 0xffff)
		return 0;
	uint8_t *c = malloc(size);
	FZ_CHECK(c != NULL);
	memcpy(c, data, size);
	net_put16(c + TCP_CSUM, 0);
	net_put16(c + TCP_CSUM, net_csum_fold(net_csum_add(
		net_csum_pseudo4(SRC, DST, IP_P_TCP, (uint16_t)size), c, size)));
	enum net_drop r = net_tcp_parse(c, size, SRC, DST, &v);
	FZ_CHECK(r != NET_DROP_BAD_CSUM && r != NET_DROP_SHORT);
	if (r == NET_OK)
		fz_check_tcp(c, size, SRC, DST, &v);
	free(c);
	return 0;
}
