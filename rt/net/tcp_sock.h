/*
 * tcp_sock.h - what tcp_sock.c (the table, the callbacks, the timers, the
 * memory of TCP sockets) shares with tcp_api.c (the tally_tcp_* calls).
 * Data structures, invariants and locking: tcp_sock.c's essay.  Every
 * call here that says "lock held" is made under net_st.lock.
 */
#ifndef TALLY_NET_TCP_SOCK_H
#define TALLY_NET_TCP_SOCK_H

#include "rt/net/stack.h"
#include "rt/net/tcp.h"

#define TS_RXCAP (64u * 1024)
#define TS_TXCAP (64u * 1024)
#define TS_HASH 256
#define TS_BACKLOG_MAX 1024
#define TS_POOL_MAX 64              /* connections ready for a listener's SYNs */

enum { TS_CONN = 1, TS_LISTEN = 2 };

struct tally_tcp {
	uint8_t kind;
	uint8_t closed;              /* the user closed it */
	uint8_t hashed, dead, pooled;
	unsigned inside;             /* goroutines inside a call on it */
	struct tally_tcp *hnext;     /* hash chain, listener list, pool, fresh, grave */
	struct tally_tcp *owner;     /* a pool's connection: its listener */
	struct tcp_conn *c;
	struct tcp_listener *l;
	struct rt_timer timer;
	uint64_t armed, tseq;        /* the timer's deadline (ns, 0: off), generation */
	struct net_wait rw, ww;
	uint64_t rdl, wdl;           /* deadlines (ns, 0: none) */
	struct tally_chan *ready;
	struct tally_tcp *pool, *fresh;  /* a listener's */
	unsigned npool, pool_max;
};

extern const struct tcp_ops ts_ops;
extern struct tally_tcp *ts_listeners;
extern uint8_t ts_secret[16];
extern uint64_t ts_accepted, ts_connected, ts_live, ts_cookies;
extern uint64_t ts_mem;
extern uint64_t ts_mem_peak, ts_live_peak;
extern uint64_t ts_gone_syns, ts_gone_cookies_sent;   /* lock held */
/* Add n bytes to ts_mem and raise ts_mem_peak to the new total (any context). */
void ts_mem_add(uint64_t n);

static inline uint64_t ts_now_us(void) { return rt_nanotime() / 1000; }

/* Lock held. */
void ts_init(void);                          /* the ISN and cookie secret, once */
struct tally_tcp *ts_lookup(uint32_t raddr, uint16_t rport, uint16_t lport);
struct tally_tcp *ts_find_listener(uint16_t port);
void ts_hash_in(struct tally_tcp *s);
void ts_post(struct tally_tcp *s);           /* after every tcp_* call on s */
void ts_bury(struct tally_tcp *s);           /* to the graveyard if nobody uses it */
void ts_conn_reset(struct tally_tcp *s, struct tally_tcp *owner);
/* Goroutine, no lock. */
void ts_drain(void);                         /* free the graveyard */
void ts_refill(struct tally_tcp *ls);        /* top up a listener's pool */
struct tally_tcp *ts_conn_alloc(void);
void ts_sock_free(struct tally_tcp *s);      /* timers idle, then free */

#endif
