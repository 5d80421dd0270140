/* sof_entry.c: see sof_entry.h.
 *
 * Bounds discipline: it->off <= it->buf_sz always; every read of k bytes at
 * off is preceded by a check k <= buf_sz - off (subtraction, never off + k).
 * Counts read from the wire are compared with remaining / min_size before
 * anything loops on them. */
#include "sof_entry.h"

#include <string.h>

static uint64_t
sof_entry_ld_u64(uint8_t const *p) {
  return (uint64_t)p[0]       | (uint64_t)p[1] << 8  |
         (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
         (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
         (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

static uint16_t
sof_entry_ld_u16(uint8_t const *p) {
  return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

/* Records the first error and returns it (errors are sticky). */
static int
sof_entry_fail(sof_entry_iter_t *it, int err, size_t off) {
  it->err = err;
  it->err_off = off;
  return err;
}

/* Offset of the first non-zero byte in [off, buf_sz), or buf_sz. */
static size_t
sof_entry_first_nonzero(uint8_t const *buf, size_t off, size_t buf_sz) {
  while (off < buf_sz && !buf[off]) off++;
  return off;
}

/* End of the batch proper at it->off: the rest must be zero padding. */
static int
sof_entry_finish(sof_entry_iter_t *it) {
  size_t nz = sof_entry_first_nonzero(it->buf, it->off, it->buf_sz);
  if (nz != it->buf_sz) return sof_entry_fail(it, SOF_ENTRY_ERR_TRAILING, nz);
  it->trailing = it->buf_sz - it->off;
  it->done = 1;
  return SOF_ENTRY_OK;
}

/* Entry count 0: an EMPTY batch when only zeros follow, else a block marker
 * (layout in sof_entry.h). */
static int
sof_entry_zero_cnt(sof_entry_iter_t *it) {
  uint8_t const *b = it->buf;
  size_t const sz = it->buf_sz;
  if (sof_entry_first_nonzero(b, it->off, sz) == sz) {
    it->kind = SOF_ENTRY_BATCH_EMPTY;
    return sof_entry_finish(it);
  }
  it->kind = SOF_ENTRY_BATCH_MARKER;
  if (sz - it->off < 2)
    return sof_entry_fail(it, SOF_ENTRY_ERR_MARKER_TRUNCATED, it->off);
  it->marker.version = sof_entry_ld_u16(b + it->off);
  if (it->marker.version != SOF_ENTRY_MARKER_VERSION_V1)
    return sof_entry_fail(it, SOF_ENTRY_ERR_MARKER_VERSION, it->off);
  it->off += 2;
  if (sz - it->off < 3)
    return sof_entry_fail(it, SOF_ENTRY_ERR_MARKER_TRUNCATED, it->off);
  it->marker.variant = b[it->off];
  it->marker.payload_sz = sof_entry_ld_u16(b + it->off + 1);
  it->marker.payload_off = it->off + 3;
  if (it->marker.variant >= SOF_ENTRY_MARKER_VARIANT_CNT)
    return sof_entry_fail(it, SOF_ENTRY_ERR_MARKER_VARIANT, it->off);
  it->off += 3;
  if (it->marker.payload_sz > sz - it->off)
    return sof_entry_fail(it, SOF_ENTRY_ERR_MARKER_TRUNCATED, it->off);
  it->off += it->marker.payload_sz;
  return sof_entry_finish(it);
}

int
sof_entry_iter_init(sof_entry_iter_t *it, void const *buf, size_t buf_sz) {
  memset(it, 0, sizeof *it);
  it->buf = buf;
  it->buf_sz = buf_sz;
  it->kind = SOF_ENTRY_BATCH_ENTRIES;
  if (buf_sz < SOF_ENTRY_CNT_SZ) return sof_entry_fail(it, SOF_ENTRY_ERR_SHORT, 0);
  uint64_t const cnt = sof_entry_ld_u64(it->buf);
  it->off = SOF_ENTRY_CNT_SZ;
  if (!cnt) return sof_entry_zero_cnt(it);
  if (cnt > (buf_sz - it->off) / SOF_ENTRY_MIN_SZ)
    return sof_entry_fail(it, SOF_ENTRY_ERR_ENTRY_CNT, 0);
  it->entry_cnt = cnt;
  return SOF_ENTRY_OK;
}

int
sof_entry_iter_next_txn(sof_entry_iter_t *it, sof_txn_t *txn,
                        size_t *txn_off, size_t *txn_sz) {
  if (it->err) return it->err;
  if (!it->txn_left) return 0;
  size_t sz = 0;
  int r = sof_txn_parse(txn, it->buf + it->off, it->buf_sz - it->off, &sz);
  if (r) {
    it->txn_err = r;
    return sof_entry_fail(it, SOF_ENTRY_ERR_TXN, it->off);
  }
  if (txn_off) *txn_off = it->off;
  if (txn_sz) *txn_sz = sz;
  it->off += sz;
  it->txn_left--;
  it->txn_idx++;
  return 1;
}

int
sof_entry_iter_next(sof_entry_iter_t *it, sof_entry_t *out) {
  if (it->err) return it->err;
  if (it->done) return 0;
  if (it->txn_left) {
    sof_txn_t scratch;
    int r;
    while ((r = sof_entry_iter_next_txn(it, &scratch, NULL, NULL)) == 1) {}
    if (r < 0) return r;
  }
  if (it->entry_idx == it->entry_cnt) {
    int r = sof_entry_finish(it);
    return r < 0 ? r : 0;
  }
  uint8_t const *p = it->buf + it->off;
  size_t const left = it->buf_sz - it->off;
  if (left < SOF_ENTRY_MIN_SZ)
    return sof_entry_fail(it, SOF_ENTRY_ERR_TRUNCATED, it->off);
  uint64_t const txn_cnt = sof_entry_ld_u64(p + 40);
  if (txn_cnt > (left - SOF_ENTRY_MIN_SZ) / SOF_TXN_MIN_SZ)
    return sof_entry_fail(it, SOF_ENTRY_ERR_TXN_CNT, it->off);
  out->idx = it->entry_idx;
  out->num_hashes = sof_entry_ld_u64(p);
  out->hash = p + 8;
  out->txn_cnt = txn_cnt;
  out->off = it->off;
  out->txn_off = it->off + SOF_ENTRY_MIN_SZ;
  it->off += SOF_ENTRY_MIN_SZ;
  it->entry_idx++;
  it->txn_left = txn_cnt;
  it->txn_idx = 0;
  return 1;
}

int
sof_entry_batch_parse(sof_entry_batch_t *out, void const *buf, size_t buf_sz) {
  memset(out, 0, sizeof *out);
  sof_entry_iter_t it;
  int r = sof_entry_iter_init(&it, buf, buf_sz);
  if (!r) {
    sof_entry_t e;
    sof_txn_t t;
    while ((r = sof_entry_iter_next(&it, &e)) == 1) {
      while ((r = sof_entry_iter_next_txn(&it, &t, NULL, NULL)) == 1) {
        out->txn_cnt++;
        out->simple_vote_cnt += t.simple_vote;
        out->kind_cnt[t.kind]++;
      }
      if (r < 0) break;
      out->entry_cnt++;
      out->tick_cnt += !e.txn_cnt;
      /* Saturating: num_hashes is untrusted. */
      out->num_hashes = e.num_hashes > UINT64_MAX - out->num_hashes
                          ? UINT64_MAX : out->num_hashes + e.num_hashes;
    }
  }
  out->kind = it.kind;
  out->marker = it.marker;
  out->consumed = it.off;
  if (r < 0) {
    out->txn_err = it.txn_err;
    out->err_off = it.err_off;
    return r;
  }
  out->trailing = it.trailing;
  return SOF_ENTRY_OK;
}

char const *
sof_entry_err_str(int err) {
  switch (err) {
  case SOF_ENTRY_OK:                   return "ok";
  case SOF_ENTRY_ERR_SHORT:            return "batch_too_short";
  case SOF_ENTRY_ERR_ENTRY_CNT:        return "entry_cnt_implausible";
  case SOF_ENTRY_ERR_TRUNCATED:        return "truncated";
  case SOF_ENTRY_ERR_TXN_CNT:          return "txn_cnt_implausible";
  case SOF_ENTRY_ERR_TXN:              return "txn_malformed";
  case SOF_ENTRY_ERR_TRAILING:         return "trailing_nonzero";
  case SOF_ENTRY_ERR_MARKER_TRUNCATED: return "marker_truncated";
  case SOF_ENTRY_ERR_MARKER_VERSION:   return "marker_unknown_version";
  case SOF_ENTRY_ERR_MARKER_VARIANT:   return "marker_unknown_variant";
  default:                             return "unknown";
  }
}

char const *
sof_entry_batch_kind_str(int kind) {
  switch (kind) {
  case SOF_ENTRY_BATCH_ENTRIES: return "entries";
  case SOF_ENTRY_BATCH_EMPTY:   return "empty";
  case SOF_ENTRY_BATCH_MARKER:  return "marker";
  default:                      return "unknown";
  }
}

char const *
sof_entry_marker_variant_str(int variant) {
  switch (variant) {
  case SOF_ENTRY_MARKER_FOOTER:        return "footer";
  case SOF_ENTRY_MARKER_HEADER:        return "header";
  case SOF_ENTRY_MARKER_UPDATE_PARENT: return "update_parent";
  case SOF_ENTRY_MARKER_GENESIS_CERT:  return "genesis_certificate";
  default:                             return "unknown";
  }
}
