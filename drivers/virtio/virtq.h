/*
 * virtq.h - a virtqueue's driver side, split (virtio 1.x section 2.7) or
 * packed (virtio 1.1 section 2.8, virtq_packed.c), as pure logic over
 * memory the caller provides.
 *
 * Purpose: a transport (virtio_pci.c) tells the device where the three
 * parts of a queue live; a device driver (virtio_net.c) adds buffers and
 * takes back the ones the device used.  Nothing here touches a register,
 * allocates or prints, so host tests play the device against it.
 *
 * Data structures (the layout is the specification's, little-endian).
 * Split:
 *   desc[size]   struct virtq_desc: address, length, flags, next
 *   avail        flags, idx, ring[size], used_event   (driver writes)
 *   used         flags, idx, ring[size] of {id, len}, avail_event
 *                                                     (device writes)
 * Packed (one ring both sides write, virtq_packed.c):
 *   pdesc[size]  struct virtq_pdesc: address, length, buffer id, flags
 *                (AVAIL and USED bits against the two wrap counters)
 *   driver area  event suppression the driver writes: off_wrap, flags
 *   device area  event suppression the device writes: off_wrap, flags
 * and the driver's private state in struct virtq: a free list threaded
 * through its own next[] array (never through desc[].next, which the
 * device can reach), and per chain head the caller's token and the
 * number of descriptors the chain holds (0: the head is not in flight).
 *
 * Invariants:
 *   nfree + sum over in-flight heads h of ndesc[h] == size
 *   avail_idx - last_used (mod 2^16) <= size   (split: chains the device
 *       holds; packed: descriptors, and == size - nfree)
 *   a descriptor (split) or buffer id (packed) is on the free list or in
 *   exactly one in-flight chain.
 * What the device writes is never trusted: a used entry whose id is out
 * of range (bad_id) or heads no chain in flight (dup_id: returned
 * already, or not a head) is counted and skipped; a length beyond what the chain
 * offered for writing is counted in bad_len and reported as 0; a used
 * index that runs more than size ahead of the driver marks the queue
 * broken (counted, and the queue returns nothing more until reset).
 * Packed: the used descriptor names its chain only by id, and the next
 * one lies that chain's length further on, so an id that heads no chain
 * in flight (bad_id, dup_id) or a chain longer than what was published
 * (bad_idx) leaves no way to find the next entry: each is counted and
 * the queue marked broken (as Linux does).
 *
 * Locking: none; one caller at a time per queue (the driver's lock).
 * Context: any, including interrupt handlers; no allocation, no blocking.
 */
#ifndef TALLY_VIRTQ_H
#define TALLY_VIRTQ_H

#include <stddef.h>
#include <stdint.h>

#define VIRTQ_MAX_SIZE 1024u      /* this driver's limit; the spec's is 32768 */

#define VIRTQ_DESC_F_NEXT     1u
#define VIRTQ_DESC_F_WRITE    2u   /* device writes (else reads) */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u
#define VIRTQ_USED_F_NO_NOTIFY     1u
/* packed (virtio 1.1 2.8) */
#define VIRTQ_PDESC_F_AVAIL  (1u << 7)
#define VIRTQ_PDESC_F_USED   (1u << 15)
#define VIRTQ_EV_ENABLE  0u      /* event suppression flags */
#define VIRTQ_EV_DISABLE 1u
#define VIRTQ_EV_DESC    2u      /* at off_wrap (needs VIRTIO_F_EVENT_IDX) */

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_pdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t id;
	uint16_t flags;
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

/* One buffer of a chain, as the device will see it. */
struct virtq_buf {
	uint64_t addr;         /* device (physical) address */
	uint32_t len;
};

struct virtq_stats {
	uint64_t added, used;      /* chains added, chains taken back */
	uint64_t full;             /* adds refused: not enough free descriptors */
	uint64_t bad_id;           /* used id >= size */
	uint64_t dup_id;           /* used id that heads no chain in flight (returned
	                              already, or never a head) */
	uint64_t bad_len;          /* used length beyond the chain's writable bytes */
	uint64_t bad_idx;          /* used index ran more than size ahead */
	uint64_t notifies;         /* virtq_kick results that asked for a notify */
	uint64_t fences;           /* calls of the device fence (below) */
};

struct virtq_slot {
	void *token;           /* the caller's, returned by virtq_get */
	uint32_t wlen;         /* writable bytes the chain offers */
	uint16_t ndesc;        /* descriptors in the chain; 0 = not in flight */
	uint16_t next;         /* free list / chain link (private copy, see above) */
};

struct virtq {
	uint16_t size;         /* power of two, <= VIRTQ_MAX_SIZE */
	uint16_t index;        /* queue number at the transport */
	uint8_t event_idx;     /* VIRTIO_F_EVENT_IDX negotiated */
	uint8_t broken;        /* the device broke the used ring's rules */
	uint8_t packed;        /* VIRTIO_F_RING_PACKED: the packed layout */
	volatile struct virtq_desc *desc;
	volatile uint16_t *avail;  /* [0] flags, [1] idx, [2..] ring, [2+size] used_event;
	                              packed: the driver area [0] off_wrap, [1] flags */
	volatile uint8_t *used;    /* flags, idx, ring, avail_event;
	                              packed: the device area, off_wrap then flags */
	volatile struct virtq_pdesc *pdesc;   /* packed: the ring (at desc_pa) */
	uint64_t desc_pa, avail_pa, used_pa;
	uint32_t notify_off;       /* the transport's: where this queue is notified */
	struct virtq_slot *slot;   /* size entries, the caller's memory */
	/* Device fence: called after the CPU's full fence wherever a store of
	 * ours must be visible to the device before our next load (the
	 * published index before avail_event is read; used_event before the
	 * used index is re-read).  NULL when the CPU's fence is enough; the
	 * transport sets it when it is not (virtio_pci.c, "Fences"). */
	void (*fence)(void *arg);
	void *fence_arg;
	uint16_t free_head, nfree; /* split: descriptors; packed: buffer ids on the
	                              list, and nfree counts free ring entries */
	uint16_t avail_idx;        /* next avail index (published or not); packed:
	                              descriptors written, free-running: the ring
	                              entry is avail_idx % size, the driver's wrap
	                              counter !(avail_idx & size) */
	uint16_t kicked_idx;       /* avail idx at the last virtq_kick */
	uint16_t last_used;        /* next used index to read; packed: descriptors
	                              passed, free-running as avail_idx */
	uint16_t held_head;        /* packed: the first chain added since the last
	                              kick, whose head's flags kick writes (0xffff: none) */
	uint16_t held_flags;
	struct virtq_stats st;
};

/* Bytes of ring memory a queue of `size` entries needs (descriptor table
 * at 0, avail ring after it, used ring 4-aligned after that). */
size_t virtq_ring_bytes(uint16_t size);
/* Packed: the ring at 0, the driver area after it, the device area after
 * that (16 * size + 8 bytes). */
size_t virtq_packed_ring_bytes(uint16_t size);
/* Lay the queue out in mem (zeroed here; virtq_ring_bytes(size) bytes,
 * 16-aligned, device address pa) with slots[size].  Returns 0, or -1 if
 * size is 0, not a power of two or above VIRTQ_MAX_SIZE. */
int virtq_init(struct virtq *q, uint16_t index, uint16_t size, void *mem, uint64_t pa,
               struct virtq_slot *slots, int event_idx);
/* The same for a packed queue (virtq_packed_ring_bytes(size) bytes at
 * mem; avail_pa and used_pa become the driver and device areas). */
int virtq_init_packed(struct virtq *q, uint16_t index, uint16_t size, void *mem, uint64_t pa,
                      struct virtq_slot *slots, int event_idx);
/* Add a chain: nout device-readable buffers then nin device-writable
 * ones.  Returns the head descriptor (packed: the buffer id), or -1
 * (counted in full) when fewer than nout + nin descriptors are free, -2
 * for an empty or zero-length chain or a broken queue.  The chain is visible to the device only
 * after virtq_kick (packed: kick writes the first held chain's head
 * flags; the device stops there, so none after it is seen before). */
int virtq_add(struct virtq *q, const struct virtq_buf *bufs, unsigned nout, unsigned nin,
              void *token);
/* Publish the chains added since the last kick (release order) and say
 * whether the device wants a notification (event index, or the used
 * ring's NO_NOTIFY flag), read after a full fence and the device fence.
 * 1: notify the device, 0: not needed. */
int virtq_kick(struct virtq *q);
/* Take back the next chain the device used: its token, *len the bytes
 * the device wrote (0 when the length was not believable).  NULL when
 * nothing is pending (or the queue is broken).  Invalid used entries are
 * skipped and counted (packed: counted, and the queue is broken). */
void *virtq_get(struct virtq *q, uint32_t *len);
/* Used entries waiting (0 when broken; packed: those found walking from
 * last_used, each checked as virtq_get would, stopping at a bad one). */
unsigned virtq_pending(const struct virtq *q);
/* Ask the device for interrupts (1) or not (0) as used entries arrive
 * (a hint the device may ignore).  With the event index, 1 writes
 * used_event = last_used.  Turning them on ends with a full fence and the
 * device fence, so a virtq_pending after it sees every entry the device
 * added without seeing our request (the caller re-checks: Dekker). */
void virtq_interrupts(struct virtq *q, int on);
/* virtio 1.x 2.7.10: does moving an index from old to new_idx pass
 * event_idx?  (Exported for the tests.) */
static inline int virtq_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old);
}

/* The packed layout's halves (virtq_packed.c), called by virtq.c. */
int _virtq_packed_add(struct virtq *q, const struct virtq_buf *bufs, unsigned nout,
                      unsigned nin, void *token);
int _virtq_packed_kick(struct virtq *q);
void *_virtq_packed_get(struct virtq *q, uint32_t *len);
unsigned _virtq_packed_pending(const struct virtq *q);
void _virtq_packed_interrupts(struct virtq *q, int on);
void _virtq_fence(struct virtq *q);

#endif
