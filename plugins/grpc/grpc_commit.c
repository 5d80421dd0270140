/* grpc_commit.c: held records of CONFIRMED / FINALIZED subscriptions
 * (grpc_commit.h). Server thread only. */
#include <stdlib.h>
#include <string.h>

#include "grpc_commit.h"
#include "grpc_int.h"

#define NIL UINT32_MAX

typedef struct hold_ent {
  uint64_t pos, seq; /* the record's ring position and sequence number */
  uint32_t next;
  uint32_t _pad;
} hold_ent_t;

typedef struct hold_slot {
  uint64_t slot;         /* UINT64_MAX: unused */
  uint32_t head, tail;
  uint8_t  status_seen;  /* the slot reached the level; waiting for its block to be whole */
} hold_slot_t;

struct grpc_hold {
  hold_ent_t *ent;
  uint32_t    cap, hw, free_head, held;
  uint32_t    ready_head, ready_tail;
  hold_slot_t slots[GRPC_HOLD_SLOTS];
};

grpc_commit_tab_t *
grpc_commit_tab_new(void) {
  grpc_commit_tab_t *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->scratch = malloc(GRPC_REC_MAX);
  if (!t->scratch) {
    free(t);
    return NULL;
  }
  for (unsigned i = 0; i < GRPC_COMMIT_SLOTS; i++) t->slots[i].slot = UINT64_MAX;
  return t;
}

void
grpc_commit_tab_free(grpc_commit_tab_t *t) {
  if (!t) return;
  free(t->scratch);
  free(t);
}

static grpc_commit_slot_t *
tab_slot(grpc_commit_tab_t *t, uint64_t slot, int create) {
  grpc_commit_slot_t *c = &t->slots[slot % GRPC_COMMIT_SLOTS];
  if (c->slot == slot) return c;
  if (!create || (c->slot != UINT64_MAX && c->slot > slot)) return NULL;
  c->slot = slot;
  c->seq_conf = c->seq_fin = c->seq_dead = c->seq_whole = UINT64_MAX;
  return c;
}

static void
set_once(uint64_t *v, uint64_t seq) {
  if (*v == UINT64_MAX || seq < *v) *v = seq;
}

void
grpc_commit_note(grpc_commit_tab_t *t, grpc_rec_t const *h) {
  if (h->kind == GRPC_REC_BLOCK_META) {
    grpc_commit_slot_t *c = tab_slot(t, h->slot, 1);
    if (c) set_once(&c->seq_whole, h->seq);
    return;
  }
  if (h->kind != GRPC_REC_SLOT) return;
  grpc_commit_slot_t *c = tab_slot(t, h->slot, 1);
  if (!c) return;
  if (h->a == 6) {
    if (c->seq_dead == UINT64_MAX || h->seq > c->seq_dead) c->seq_dead = h->seq;
  } else if (h->b) { /* a commitment status: the slot is (again) on the chain */
    if (c->seq_dead != UINT64_MAX && c->seq_dead < h->seq) c->seq_dead = UINT64_MAX;
    if (h->a >= 1) set_once(&c->seq_conf, h->seq);
    if (h->a == 2) set_once(&c->seq_fin, h->seq);
  }
}

uint32_t
grpc_hold_count(grpc_hold_t const *h) {
  return h ? h->held : 0;
}

void
grpc_hold_free(grpc_hold_t *h) {
  if (!h) return;
  free(h->ent);
  free(h);
}

static grpc_hold_t *
hold_get(grpc_srv_t *s, grpc_stream_t *st) {
  if (st->hold) return st->hold;
  grpc_hold_t *h = calloc(1, sizeof *h);
  if (!h) return NULL;
  h->cap = s->cfg.commit_hold_max;
  h->ent = malloc((size_t)h->cap * sizeof *h->ent);
  if (!h->ent) {
    free(h);
    return NULL;
  }
  h->free_head = h->ready_head = h->ready_tail = NIL;
  for (unsigned i = 0; i < GRPC_HOLD_SLOTS; i++) h->slots[i].slot = UINT64_MAX;
  st->hold = h;
  return h;
}

static hold_slot_t *
hold_slot(grpc_hold_t *h, uint64_t slot, int create) {
  hold_slot_t *fr = NULL;
  for (unsigned i = 0; i < GRPC_HOLD_SLOTS; i++) {
    if (h->slots[i].slot == slot) return &h->slots[i];
    if (!fr && h->slots[i].slot == UINT64_MAX) fr = &h->slots[i];
  }
  if (!create || !fr) return NULL;
  fr->slot = slot;
  fr->head = fr->tail = NIL;
  fr->status_seen = 0;
  return fr;
}

static void
count(grpc_srv_t *s, _Atomic uint64_t *c, uint64_t n) {
  (void)s;
  atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static void
ent_free(grpc_hold_t *h, uint32_t i) {
  h->ent[i].next = h->free_head;
  h->free_head = i;
  h->held--;
}

/* Drops a slot's held records (counted in *c). */
static void
slot_drop(grpc_srv_t *s, grpc_hold_t *h, hold_slot_t *hs, _Atomic uint64_t *c) {
  uint64_t n = 0;
  for (uint32_t i = hs->head; i != NIL;) {
    uint32_t nx = h->ent[i].next;
    ent_free(h, i);
    n++;
    i = nx;
  }
  if (n) count(s, c, n);
  hs->slot = UINT64_MAX;
}

/* Moves a slot's held records to the ready list (in their order). */
static void
slot_release(grpc_hold_t *h, hold_slot_t *hs) {
  if (hs->head != NIL) {
    if (h->ready_tail == NIL) h->ready_head = hs->head;
    else h->ent[h->ready_tail].next = hs->head;
    h->ready_tail = hs->tail;
  }
  hs->slot = UINT64_MAX;
}

int
grpc_commit_flush(grpc_srv_t *s, grpc_stream_t *st) {
  grpc_hold_t *h = st->hold;
  if (!h) return 1;
  grpc_commit_tab_t *t = s->commit;
  while (h->ready_head != NIL) {
    uint32_t i = h->ready_head;
    hold_ent_t const *e = &h->ent[i];
    grpc_cursor_t c = {.pos = e->pos, .seq = e->seq, .lost = 0};
    grpc_rec_t rh;
    int rc = grpc_ring_peek(&s->ring, &c, &rh, t->scratch, GRPC_REC_MAX);
    if (rc != 1 || c.lost || rh.seq != e->seq) {
      count(s, &s->st.commit_lost, 1); /* overwritten in the ring while held */
    } else {
      if (!grpc_svc_deliver(st, &rh, t->scratch)) return 0;
      count(s, &s->st.commit_released, 1);
    }
    h->ready_head = e->next;
    if (h->ready_head == NIL) h->ready_tail = NIL;
    ent_free(h, i);
  }
  return 1;
}

void
grpc_commit_level(grpc_srv_t *s, grpc_stream_t *st, int level) {
  grpc_hold_t *h = st->hold;
  (void)level;
  if (!h) return;
  for (unsigned i = 0; i < GRPC_HOLD_SLOTS; i++)
    if (h->slots[i].slot != UINT64_MAX) slot_drop(s, h, &h->slots[i], &s->st.commit_dropped_dead);
  uint64_t n = 0;
  for (uint32_t i = h->ready_head; i != NIL;) {
    uint32_t nx = h->ent[i].next;
    ent_free(h, i);
    n++;
    i = nx;
  }
  h->ready_head = h->ready_tail = NIL;
  if (n) count(s, &s->st.commit_dropped_dead, n);
}

/* Does the subscriber's filter want record hd at all (else it is not held)? */
static int
wants(grpc_stream_t const *st, grpc_rec_t const *hd, uint8_t const *pl) {
  grpc_filters_t const *f = st->f;
  char const *names[64];
  switch (hd->kind) {
  case GRPC_REC_TXN: return f->txf_cnt && grpc_filters_txn(f, hd, pl, names, 64) > 0;
  case GRPC_REC_ENTRY: return f->entryf_cnt > 0;
  case GRPC_REC_BLOCK_META: return f->metaf_cnt > 0;
  default: return 0;
  }
}

/* A slot status the subscriber just got (hd: a SLOT record). */
static void
on_status(grpc_srv_t *s, grpc_stream_t *st, grpc_rec_t const *hd, int level) {
  grpc_hold_t *h = st->hold;
  uint64_t x = hd->slot;
  if (hd->a == 6) { /* dead */
    hold_slot_t *hs = hold_slot(h, x, 0);
    if (hs) slot_drop(s, h, hs, &s->st.commit_dropped_dead);
    return;
  }
  if (!hd->b || (int)hd->a < level) return;
  grpc_commit_slot_t const *c = tab_slot(s->commit, x, 0);
  int whole = c && c->seq_whole < hd->seq;
  /* lower slots first (their records came first), then x */
  for (;;) {
    hold_slot_t *lo = NULL;
    for (unsigned i = 0; i < GRPC_HOLD_SLOTS; i++) {
      hold_slot_t *y = &h->slots[i];
      if (y->slot == UINT64_MAX || y->slot >= x) continue;
      if (!y->status_seen && hd->a != 2) continue; /* may still reach the level */
      if (!lo || y->slot < lo->slot) lo = y;
    }
    if (!lo) break;
    if (lo->status_seen) slot_release(h, lo); /* at the level; a higher slot got there too */
    else slot_drop(s, h, lo, &s->st.commit_dropped_dead); /* below a finalized slot, never at the level */
  }
  hold_slot_t *hs = hold_slot(h, x, 0);
  if (!hs) return;
  if (whole) slot_release(h, hs);
  else hs->status_seen = 1;
}

int
grpc_commit_take(grpc_srv_t *s, grpc_stream_t *st, grpc_rec_t const *hd, uint8_t const *pl) {
  if (st->hold && st->hold->ready_head != NIL && !grpc_commit_flush(s, st)) return 0;
  int level = st->method == GRPC_M_SUBSCRIBE && st->f ? st->f->commitment : 0;
  if (hd->kind == GRPC_REC_SLOT) {
    grpc_commit_note(s->commit, hd);
    if (!grpc_svc_deliver(st, hd, pl)) return 0;
    if (st->hold) {
      on_status(s, st, hd, level);
      grpc_commit_flush(s, st);
    }
    return 1;
  }
  if (hd->kind == GRPC_REC_BLOCK_META) grpc_commit_note(s->commit, hd);
  if (!level || (hd->kind != GRPC_REC_TXN && hd->kind != GRPC_REC_ENTRY && hd->kind != GRPC_REC_BLOCK_META))
    return grpc_svc_deliver(st, hd, pl);
  hold_slot_t *hs = st->hold ? hold_slot(st->hold, hd->slot, 0) : NULL;
  if (!hs) {
    grpc_commit_slot_t const *c = tab_slot(s->commit, hd->slot, 0);
    uint64_t at = c ? (level == 2 ? c->seq_fin : c->seq_conf) : UINT64_MAX;
    if (c && c->seq_fin < at) at = c->seq_fin;
    if (at < hd->seq) return grpc_svc_deliver(st, hd, pl); /* the slot got there before */
    if (c && c->seq_dead < hd->seq) {
      if (wants(st, hd, pl)) count(s, &s->st.commit_dropped_dead, 1);
      return 1;
    }
  }
  int want = wants(st, hd, pl);
  if (want) {
    grpc_hold_t *h = hold_get(s, st);
    if (h && !hs) hs = hold_slot(h, hd->slot, 1);
    uint32_t i = NIL;
    if (h && hs) {
      if (h->free_head != NIL) {
        i = h->free_head;
        h->free_head = h->ent[i].next;
      } else if (h->hw < h->cap) {
        i = h->hw++;
      }
    }
    if (i == NIL) {
      count(s, &s->st.commit_hold_full, 1);
    } else {
      h->ent[i] = (hold_ent_t){.pos = st->cur.pos, .seq = hd->seq, .next = NIL};
      if (hs->tail == NIL) hs->head = i;
      else h->ent[hs->tail].next = i;
      hs->tail = i;
      h->held++;
      count(s, &s->st.commit_held, 1);
    }
  }
  /* a block meta completes its slot's block: a slot already at the level goes now */
  if (hd->kind == GRPC_REC_BLOCK_META && st->hold) {
    hold_slot_t *ws = hold_slot(st->hold, hd->slot, 0);
    if (ws && ws->status_seen) {
      slot_release(st->hold, ws);
      grpc_commit_flush(s, st);
    }
  }
  return 1;
}
