/*
 * stack.h - the network stack's state and its internal calls, shared by
 * stack.c (receive, send, ARP, ICMP, loss injection), sock.c (UDP
 * sockets, ping, the tally_net_* API), tcp_sock.c and tcp_api.c (TCP:
 * net_tcp_input, the tally_tcp_* calls), dhcp_client.c (the DHCP
 * goroutine) and the scheduler's poller (rt/netpoll.c).
 *
 * Data structures: one struct net_stack, `net_st`, for the one interface
 * (device 0): its addresses, the ARP cache, the UDP socket table, the
 * outstanding pings, the drop counters (the wire layer's reasons in
 * `parse`, the stack's own in `drop`), event counters.
 *
 * Invariants:
 *   every frame taken from the device is counted exactly once: in
 *   loss_rx (dropped by the netloss= injection before anything looks at
 *   it), parse.n[NET_OK] (accepted by net_rx_parse) or one parse reason; an
 *   accepted one is then delivered, answered, or counted in one `drop`
 *   reason (no socket, socket queue full, unanswered ICMP type, TCP
 *   without a connection or listener);
 *   a socket is in socks[] <=> it is open; a goroutine parked on a
 *   socket or a ping is named in exactly one net_wait.
 *
 * Locking: net_st.lock (an rt_lock) guards everything in net_st and the
 * sockets; it is taken after rt_sched.lock and before a timer heap's lock
 * (rt_timer_add under it) and the driver's spinlocks (plat_net_send under
 * it; rt_timer_del too: TCP's timers).  Goroutines to ready are collected under it and readied after it
 * is dropped (net_ready_flush), so rt_goready never runs under it.
 *
 * Context: the poller (g0, charged to rt.netpoll, the stack's part to
 * rt.net) and goroutines (pinned while they charge rt.net); never an
 * interrupt handler.  Allocation only by goroutines, outside the lock:
 * opening a socket, a readiness channel, a TCP listener's pool refill.
 */
#ifndef TALLY_NET_STACK_H
#define TALLY_NET_STACK_H

#include <stddef.h>
#include <stdint.h>
#include "rt/net/arp_cache.h"
#include "rt/net/drop.h"
#include "rt/net/net.h"
#include "rt/rt_impl.h"

#define NET_MAX_SOCKS 64
#define NET_SOCK_QLEN 32
#define NET_UDP_MAX 1472            /* 1500 - 20 - 8: one frame, no fragments */
#define NET_MAX_PINGS 8
#define NET_READY_MAX 8

/* The stack's own drop reasons, after the wire layer's. */
enum net_sdrop {
	NET_SDROP_NO_SOCKET,        /* UDP to a port nobody opened */
	NET_SDROP_SOCK_FULL,        /* the socket's queue was full */
	NET_SDROP_ARP_QUEUE_FULL,   /* tx: the next hop's ARP queue was full */
	NET_SDROP_ARP_TIMEOUT,      /* tx: queued frames whose next hop never answered */
	NET_SDROP_TX_FULL,          /* tx: the device's ring was full */
	NET_SDROP_TX_DEAD,          /* tx: the device failed */
	NET_SDROP_ICMP_TYPE,        /* an ICMP message this stack does not act on */
	NET_SDROP_TCP_NO_LISTENER,  /* a TCP segment no endpoint took (RST sent unless it was one) */
	NET_SDROP_ARP_CONFLICT,     /* ARP from another host claiming our address */
	NET_SDROP_ARP_OTHER,        /* ARP neither for us nor refreshing an entry */
	NET_SDROP_NO_ADDR,          /* no address yet (tx, and ARP received before
	                             * one), or tx with no route (no gateway) */
	NET_SDROP_NREASONS
};
const char *net_sdrop_name(unsigned r);

/* A goroutine parked on the stack (a socket read, a ping), with an
 * optional deadline. */
struct net_wait {
	struct g *gp;               /* parked G, NULL when none */
	uint64_t seq;               /* generation: a stale timer ignores it */
	struct rt_timer timer;
	int timed_out;
};

struct net_udp_dgram {
	uint32_t ip;
	uint16_t port, len;
	uint8_t data[NET_UDP_MAX];
};

struct tally_udp {
	uint16_t port;
	uint8_t closed;             /* 1 closed; 2 closed, a reader inside frees it */
	unsigned inside;            /* readers parked or readied, not yet back */
	unsigned head, n;           /* queue of received datagrams */
	struct net_udp_dgram *q;    /* NET_SOCK_QLEN of them */
	uint64_t deadline;
	struct net_wait w;
	uint64_t drops;             /* sock_full on this socket */
	struct tally_chan *ready;   /* readiness tokens (tally_udp_ready); a
	                             * collected object, alive while anyone names it */
};

struct net_ping {
	uint16_t id, seq;
	uint8_t used, done;
	uint64_t t0, t1;
	struct net_wait w;
};

/* TCP (tcp_sock.c), lock held: an accepted segment (rx->kind NET_RX_TCP)
 * to its connection or listener; else the RST for a closed port (RFC 9293
 * 3.10.7.1, none for an RST) counted as tcp_no_listener.  1 when an
 * endpoint took it. */
int net_tcp_input(const struct net_rx *rx);
/* TCP's counters by name for tally_net_stats, lock held: how many. */
unsigned net_tcp_stats(const char **names, uint64_t *v, unsigned max);

struct net_stack {
	struct rt_lock lock;
	volatile int state;         /* 0 off, 1 starting, 2 running, -1 no device */
	unsigned dev;
	unsigned mode;              /* RT_NETPOLL_* */
	uint8_t mac[6];
	uint32_t ip, mask, gw, bcast;
	int dhcp;                   /* address from DHCP */
	const char *dhcp_state;
	uint32_t dhcp_server, lease;
	struct net_rx_cfg rxcfg;
	struct arp_cache arp;
	struct rt_timer arp_timer;  /* armed while ARP entries are pending */
	int arp_timer_armed;
	uint16_t ip_id, next_eport, ping_id;
	struct net_drop_counts parse;
	uint64_t drop[NET_SDROP_NREASONS];
	uint64_t rx_frames, rx_bytes, tx_frames, tx_bytes;
	uint64_t arp_req_in, arp_rep_in, arp_req_out, arp_rep_out;
	uint64_t icmp_echo_in, icmp_echo_out, icmp_reply_in;
	uint64_t udp_in, udp_out, tcp_rst_out, injected;
	uint64_t csum_trusted;      /* frames whose L4 checksum the device vouched for */
	uint32_t loss_ppm;          /* netloss=: frames dropped per million */
	uint64_t loss_ctr;          /* the loss generator's counter (splitmix64) */
	uint64_t loss_rx, loss_tx;  /* frames netloss= dropped */
	uint64_t tx_waits;          /* sends that found the ring full and waited */
	uint64_t lock_wait_ns;      /* waiting for `lock` (net_enter, net_input) */
	uint64_t wake_ns;           /* readying goroutines and sending readiness
	                             * tokens after dropping it (charged rt.sched) */
	struct tally_udp *socks[NET_MAX_SOCKS];
	struct net_ping pings[NET_MAX_PINGS];
	struct g *ready[NET_READY_MAX];  /* to ready once the lock is dropped */
	unsigned nready;
	struct tally_chan *notify[NET_READY_MAX];  /* to send a token once it is */
	unsigned nnotify;
};

extern struct net_stack net_st;
extern unsigned rt_class_net, rt_class_netpoll;

/* Start the stack once (any goroutine): 0 running, TALLY_ENONET. */
int net_start(void);
/* One received frame through the stack (the poller, or tally_net_inject).
 * Takes and drops the lock, readies the goroutines it woke. */
void net_input(const uint8_t *frame, size_t len, unsigned flags);
/* Send an IPv4 packet whose bytes are at frame + 14 (len bytes of IP),
 * to dst: the next hop's MAC from the ARP cache, or queued behind a
 * request.  Lock held.  0, or a TALLY_E* code (counted). */
int net_ip_output(uint8_t *frame, size_t iplen, uint32_t dst);
/* net_ip_output's first half: the Ethernet header for the next hop.  1
 * when the frame is ready to send (the caller sends it, with the lock
 * or after dropping it: net_dev_send), 0 when it waits for ARP (queued,
 * a request sent), or a TALLY_E* code (counted).  Lock held. */
int net_ip_route(uint8_t *frame, size_t iplen, uint32_t dst);
/* Build an IPv4 header for proto and l4len bytes already at frame + 34
 * (source: our address), then net_ip_route (prepare) or net_ip_output
 * (send).  Lock held. */
int net_ip_prepare(uint8_t *frame, uint8_t proto, uint32_t dst, size_t l4len);
int net_ip_send(uint8_t *frame, uint8_t proto, uint32_t dst, size_t l4len);
/* Send a frame on the device and count it; any context that may call
 * plat_net_send, with or without the lock.  0 or a TALLY_E* code. */
int net_dev_send(const uint8_t *frame, size_t len);
/* Address configuration (lock held): ip 0 removes the address. */
void net_set_addr(uint32_t ip, uint32_t mask, uint32_t gw);
/* Lock held: mark w's goroutine to be readied after the unlock. */
void net_wait_wake(struct net_wait *w);
/* Park the calling goroutine on w until net_wait_wake or the deadline
 * (0: none).  Called with the lock held; returns with it dropped. */
void net_wait_park(struct net_wait *w, uint64_t deadline, const char *reason);
/* Lock held: a readiness token for channel c once the lock is dropped
 * (a token already waiting in c is enough: capacity 1, never blocks). */
void net_notify(struct tally_chan *c);
/* Drop net_st.lock, then ready the goroutines woken under it and send
 * the readiness tokens (rt_goready and channel sends never run under it:
 * they may take rt_sched.lock, which comes first in the lock order). */
void net_unlock(void);
/* Lock net_st.lock and charge rt.net from a goroutine (pinned):
 * returns the class to give back to net_leave. */
unsigned net_enter(void);
void net_leave(unsigned old);

#include "rt/netpoll.h"

/* ---- the DHCP client goroutine (dhcp_client.c) ---- */
void net_dhcp_main(void *arg);

#endif
