#include "state/sof_slotwin.h"

#include <string.h>

void
sof_slotwin_cfg_default(sof_slotwin_cfg_t *cfg) {
  cfg->behind = 256;
  cfg->ahead = 16;
  cfg->quorum = 16;
  cfg->probe_every = 8;
  cfg->protect_behind = 4;
  cfg->protect_ahead = 16;
}

static void
bounds(sof_slotwin_t *w) {
  if (w->tip == SOF_SLOTWIN_NONE) {
    w->lo = 0;
    w->hi = UINT64_MAX;
    return;
  }
  w->lo = !w->cfg.behind || w->tip < w->cfg.behind ? 0 : w->tip - w->cfg.behind;
  w->hi = !w->cfg.ahead || w->tip > UINT64_MAX - w->cfg.ahead ? UINT64_MAX : w->tip + w->cfg.ahead;
}

int
sof_slotwin_init(sof_slotwin_t *w, sof_slotwin_cfg_t const *cfg) {
  if (!cfg->quorum || cfg->quorum > SOF_SLOTWIN_SAMPLES) return -1;
  memset(w, 0, sizeof *w);
  w->cfg = *cfg;
  w->tip = SOF_SLOTWIN_NONE;
  w->stats.tip = SOF_SLOTWIN_NONE;
  bounds(w);
  return 0;
}

/* The k-th smallest of a[0..n) (k < n), by Wirth's selection; a is
 * reordered. At most n^2 / 2 steps whatever the values (n <= 64). */
static uint64_t
select_kth(uint64_t *a, int n, int k) {
  int l = 0, m = n - 1;
  while (l < m) {
    uint64_t x = a[k];
    int i = l, j = m;
    do {
      while (a[i] < x) i++;
      while (x < a[j]) j--;
      if (i <= j) {
        uint64_t t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    } while (i <= j);
    if (j < k) l = i;
    if (k < i) m = j;
  }
  return a[k];
}

void
sof_slotwin_recompute_(sof_slotwin_t *w) {
  w->since = 0;
  uint64_t tip = SOF_SLOTWIN_NONE;
  if (w->n >= w->cfg.quorum) {
    uint64_t a[SOF_SLOTWIN_SAMPLES];
    memcpy(a, w->ring, sizeof(uint64_t) * w->n); /* the ring fills from 0: the first n are held */
    tip = select_kth(a, (int)w->n, (int)(w->n - 1) / 2);
  }
  if (tip != w->tip) {
    w->tip = tip;
    w->stats.tip = tip;
    w->stats.tip_moves++;
    bounds(w);
  }
}

char const *
sof_slotwin_class_str(int cls) {
  switch (cls) {
#define SOF_SLOTWIN_CASE_(name, val, str) case SOF_SLOTWIN_##name: return str;
  SOF_SLOTWIN_CLASS_LIST(SOF_SLOTWIN_CASE_)
#undef SOF_SLOTWIN_CASE_
  default: return "?";
  }
}
