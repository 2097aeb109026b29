/*
 * nfq-delay: hold every packet of an NFQUEUE queue for a delay (plus optional random jitter),
 * then accept it. tc netem is not in this kernel (see /work/shared/design/lab-notes.md), so the lab
 * adds one-way delay and jitter with an iptables-legacy `-j NFQUEUE --queue-num N --queue-bypass`
 * rule in the router namespace feeding this helper.
 *
 *   nfq-delay QUEUE:DELAY_MS[:JITTER_MS[:r]] [QUEUE:DELAY_MS[:JITTER_MS[:r]] ...]
 *
 * Each packet is due at   due = max(due of the previous packet of its queue, now + DELAY + U)
 * with U uniform random in [0, JITTER] ms. The max() keeps a FIFO per queue: jitter WITHOUT
 * reordering (like netem with jitter over a rate/pfifo child, not netem's default, which reorders).
 * With the ":r" suffix the max() is left out: every packet is due at exactly now + DELAY + U and
 * a later packet with a smaller U overtakes an earlier one (netem's default "delay D J"), so a
 * dense stream keeps the full per-packet spread instead of bunching up behind the slowest.
 * While packets of a queue are further apart than JITTER the max() never binds and each packet's
 * extra delay is exactly U (mean JITTER/2); denser packets bunch up behind a late one, as behind a
 * queue that drains in bursts. Note that on a path that does not reorder, the RFC 3550 mean |D| of
 * a stream sent every S ms can never exceed 2*S (arrivals are monotone: D >= -S and E[D] = 0).
 * Only packet metadata is copied (NFQNL_COPY_META); the kernel keeps the packet until the verdict.
 * Runs until SIGTERM/SIGINT, then accepts everything still held and exits.
 *
 * Build: gcc -O2 -Wall -o nfq-delay nfq-delay.c -lnetfilter_queue -lnfnetlink
 */
#define _GNU_SOURCE /* ppoll */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#define MAXQ 8
#define HELD_CAP 262144 /* packets held per queue, bounded */

/* Held packets sit in a binary min-heap ordered by (due, arrival sequence): in FIFO mode the due
 * times never decrease, so this is plain FIFO order; in reorder mode it is due-time order. */
struct held { uint64_t due_ns; uint64_t seq; uint32_t id; };
struct q {
  int num, reorder;
  uint64_t delay_ns, jitter_ns;
  uint64_t last_due_ns; /* due time of the last packet queued: FIFO floor for the next one */
  uint64_t seq;
  struct nfq_q_handle *qh;
  struct held *heap;
  size_t len;
  unsigned long long passed, overflow;
};

static int before(const struct held *a, const struct held *b) {
  return a->due_ns < b->due_ns || (a->due_ns == b->due_ns && a->seq < b->seq);
}

static void heap_push(struct q *q, struct held h) {
  size_t i = q->len++;
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!before(&h, &q->heap[p])) break;
    q->heap[i] = q->heap[p];
    i = p;
  }
  q->heap[i] = h;
}

static struct held heap_pop(struct q *q) {
  struct held top = q->heap[0], last = q->heap[--q->len];
  size_t i = 0;
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    const struct held *best = &last;
    if (l < q->len && before(&q->heap[l], best)) { m = l; best = &q->heap[l]; }
    if (r < q->len && before(&q->heap[r], best)) m = r;
    if (m == i) break;
    q->heap[i] = q->heap[m];
    i = m;
  }
  if (q->len) q->heap[i] = last;
  return top;
}

static struct q queues[MAXQ];
static int nq;
static volatile sig_atomic_t stop;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void on_signal(int s) { (void)s; stop = 1; }

static int cb(struct nfq_q_handle *qh, struct nfgenmsg *m, struct nfq_data *nfa, void *data) {
  (void)m;
  struct q *q = data;
  struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
  if (!ph) return 0;
  uint32_t id = ntohl(ph->packet_id);
  if (q->len >= HELD_CAP) { /* never hold more than the cap: pass it on at once */
    q->overflow++;
    return nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL);
  }
  uint64_t due = now_ns() + q->delay_ns;
  if (q->jitter_ns) due += (uint64_t)(drand48() * (double)(q->jitter_ns + 1));
  if (!q->reorder && due < q->last_due_ns) due = q->last_due_ns; /* never overtake the packet before */
  q->last_due_ns = due;
  heap_push(q, (struct held){ .due_ns = due, .seq = q->seq++, .id = id });
  return 0;
}

static void release(int all) {
  uint64_t t = now_ns();
  for (int i = 0; i < nq; i++) {
    struct q *q = &queues[i];
    while (q->len && (all || q->heap[0].due_ns <= t)) {
      struct held h = heap_pop(q);
      nfq_set_verdict(q->qh, h.id, NF_ACCEPT, 0, NULL);
      q->passed++;
    }
  }
}

/* Time until the next packet is due (ns precision: poll()'s whole milliseconds would add up to
 * 1 ms of lateness per packet), at most 200 ms so a stop request is seen. */
static struct timespec next_timeout(void) {
  uint64_t t = now_ns(), best = UINT64_MAX, wait = 200000000ull;
  for (int i = 0; i < nq; i++)
    if (queues[i].len && queues[i].heap[0].due_ns < best) best = queues[i].heap[0].due_ns;
  if (best != UINT64_MAX) wait = best <= t ? 0 : (best - t < wait ? best - t : wait);
  struct timespec ts = { .tv_sec = (time_t)(wait / 1000000000ull), .tv_nsec = (long)(wait % 1000000000ull) };
  return ts;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: nfq-delay QUEUE:DELAY_MS[:JITTER_MS[:r]] [QUEUE:DELAY_MS[:JITTER_MS[:r]] ...]\n");
    return 2;
  }
  struct nfq_handle *h = nfq_open();
  if (!h) { perror("nfq_open"); return 1; }
  nfq_unbind_pf(h, AF_INET);
  if (nfq_bind_pf(h, AF_INET) < 0) { perror("nfq_bind_pf"); return 1; }
  for (int i = 1; i < argc && nq < MAXQ; i++) {
    int num, used = 0, reorder = 0; double ms, jit = 0;
    int got = sscanf(argv[i], "%d:%lf%n:%lf%n", &num, &ms, &used, &jit, &used);
    if (got == 3 && strcmp(argv[i] + used, ":r") == 0) { reorder = 1; used += 2; }
    if (got < 2 || argv[i][used] != '\0' || num < 0 || num > 65535 || ms < 0 || ms > 10000 || jit < 0 || jit > 10000) {
      fprintf(stderr, "nfq-delay: bad argument '%s' (want QUEUE:DELAY_MS[:JITTER_MS[:r]])\n", argv[i]);
      return 2;
    }
    struct q *q = &queues[nq];
    q->num = num;
    q->reorder = reorder;
    q->delay_ns = (uint64_t)(ms * 1e6);
    q->jitter_ns = (uint64_t)(jit * 1e6);
    q->heap = calloc(HELD_CAP, sizeof(struct held));
    if (!q->heap) { perror("calloc"); return 1; }
    q->qh = nfq_create_queue(h, num, &cb, q);
    if (!q->qh) { fprintf(stderr, "nfq-delay: cannot bind queue %d\n", num); return 1; }
    if (nfq_set_mode(q->qh, NFQNL_COPY_META, 0) < 0) { perror("nfq_set_mode"); return 1; }
    nfq_set_queue_maxlen(q->qh, HELD_CAP);
    nq++;
  }
  int fd = nfq_fd(h);
  int rcv = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv);
  srand48((long)(now_ns() ^ ((uint64_t)getpid() << 32)));
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  fprintf(stderr, "nfq-delay: ready\n");
  char buf[65536] __attribute__((aligned));
  while (!stop) {
    struct pollfd p = { .fd = fd, .events = POLLIN };
    struct timespec to = next_timeout();
    int r = ppoll(&p, 1, &to, NULL);
    if (r > 0) {
      for (int k = 0; k < 256; k++) { /* bounded batch, then release due packets */
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n <= 0) break;
        nfq_handle_packet(h, buf, (int)n);
      }
    } else if (r < 0 && errno != EINTR) {
      perror("poll");
      break;
    }
    release(0);
  }
  release(1);
  for (int i = 0; i < nq; i++) {
    fprintf(stderr, "nfq-delay: queue %d passed %llu overflow %llu\n", queues[i].num, queues[i].passed, queues[i].overflow);
    nfq_destroy_queue(queues[i].qh);
  }
  nfq_close(h);
  return 0;
}
