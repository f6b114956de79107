/*
 * tcp_rto.c - the retransmission timeout estimator of RFC 6298, and the
 * names of states and errors.
 *
 * Purpose: from round-trip samples (never of a retransmitted segment:
 * Karn's rule is the caller's, tcp_in.c), keep SRTT and RTTVAR and the
 * RTO the retransmission timer uses.
 *
 * The formulas (RFC 6298 2.2, 2.3), K = 4, alpha = 1/8, beta = 1/4:
 *   first sample R:  SRTT = R, RTTVAR = R/2
 *   later R':        RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R'|  (old SRTT)
 *                    SRTT   = 7/8 SRTT + 1/8 R'
 *   RTO = SRTT + max(G, 4 RTTVAR), clamped to [TCP_RTO_MIN, TCP_RTO_MAX]
 * in integer microseconds (each division truncates: the error is below
 * one microsecond per step and does not accumulate past a few).  G, the
 * clock granularity, is taken as 1 ms, a timer tick's order.  Before any
 * sample RTO is TCP_RTO_INIT (1 s, 2.1).  A timeout doubles the RTO up to
 * TCP_RTO_MAX (5.5, "back off the timer"); the next sample recomputes it
 * from SRTT and RTTVAR, which ends the back-off (5.7's note).
 *
 * TCP_RTO_MIN is 200 ms, Linux's floor, not RFC 6298's 1 s (2.4 says
 * SHOULD): on a LAN or QEMU's user network the RTT is well under a
 * millisecond and a 1 s floor turns every single loss not repaired by
 * fast retransmit into a second of silence.
 *
 * Context: pure.
 */
#include "rt/net/tcp_impl.h"

#define TCP_RTO_G 1000u

static uint64_t rto_of(const struct tcp_rtt *r)
{
	uint64_t v = 4 * r->rttvar;
	uint64_t rto = r->srtt + (v > TCP_RTO_G ? v : TCP_RTO_G);
	if (rto < TCP_RTO_MIN)
		rto = TCP_RTO_MIN;
	if (rto > TCP_RTO_MAX)
		rto = TCP_RTO_MAX;
	return rto;
}

void tcp_rtt_init(struct tcp_rtt *r)
{
	r->srtt = r->rttvar = 0;
	r->nsamples = 0;
	r->backoff = 0;
	r->rto = TCP_RTO_INIT;
}

void tcp_rtt_sample(struct tcp_rtt *r, uint64_t rtt)
{
	if (rtt > TCP_RTO_MAX)
		rtt = TCP_RTO_MAX;     /* a clock jump is not a path */
	if (r->nsamples == 0) {
		r->srtt = rtt;
		r->rttvar = rtt / 2;
	} else {
		uint64_t d = r->srtt > rtt ? r->srtt - rtt : rtt - r->srtt;
		r->rttvar = (3 * r->rttvar + d) / 4;
		r->srtt = (7 * r->srtt + rtt) / 8;
	}
	r->nsamples++;
	r->backoff = 0;
	r->rto = rto_of(r);
}

void tcp_rtt_backoff(struct tcp_rtt *r)
{
	r->rto = r->rto * 2 > TCP_RTO_MAX ? TCP_RTO_MAX : r->rto * 2;
	if (r->backoff < 255)
		r->backoff++;
}

const char *tcp_state_name(enum tcp_state s)
{
	static const char *const n[TCP_NSTATES] = {
		"CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED",
		"FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK",
		"TIME_WAIT",
	};
	return (unsigned)s < TCP_NSTATES ? n[s] : "?";
}

const char *tcp_err_str(enum tcp_err e)
{
	static const char *const m[TCP_NERR] = {
		"ok",
		"connection refused (the peer answered the SYN with a reset)",
		"connection reset by the peer",
		"connection timed out (retransmissions exhausted)",
		"connection aborted locally",
		"operation not valid in this connection state",
		"send after shutdown",
		"invalid argument",
	};
	return (unsigned)e < TCP_NERR ? m[e] : "?";
}
