/* sof-provider: a Yellowstone gRPC subscription printed as JSON lines (the
 * client of lib/provider without sofd): one line per transaction
 * (slot, signature, failed, err (hex), fee, logs, computeUnits, vote, raw
 * = the rebuilt serialized transaction, base64) and per slot update; the
 * client's counters as a last "summary" line on stderr. */
#define _GNU_SOURCE
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "provider/sof_provider_grpc.h"
#include "provider/sof_provider_ws.h"
#include "wire/sof_base58.h"

static volatile sig_atomic_t quit;
static void on_sig(int s) { (void)s; quit = 1; }

typedef struct tool {
  FILE    *out;
  uint64_t txs, max_txs;
} tool_t;

static void on_msg(void *ctx, sof_pmsg_t const *m) {
  tool_t *t = ctx;
  if (m->kind == SOF_PMSG_TXN) {
    sof_pmsg_txn_t const *x = &m->txn;
    char sig[SOF_BASE58_ENCODED_64_MAX];
    sof_base58_encode_64(x->signature, sig);
    char raw[(SOF_TXN_MTU + 2) / 3 * 4 + 1];
    EVP_EncodeBlock((unsigned char *)raw, x->tx, x->tx_sz);
    char err[2 * SOF_PMSG_ERR_MAX + 1] = "";
    uint32_t en = x->err_sz < SOF_PMSG_ERR_MAX ? x->err_sz : SOF_PMSG_ERR_MAX;
    for (uint32_t i = 0; i < en; i++) sprintf(err + 2 * i, "%02x", x->err[i]);
    fprintf(t->out, "{\"type\":\"transaction\",\"slot\":%llu,\"signature\":\"%s\",\"vote\":%s,\"meta\":%s",
            (unsigned long long)x->slot, sig, x->is_vote ? "true" : "false", x->has_meta ? "true" : "false");
    if (x->has_meta)
      fprintf(t->out, ",\"failed\":%s,\"err\":\"%s\",\"fee\":%llu,\"logs\":%u", x->failed ? "true" : "false",
              err, (unsigned long long)x->fee, x->log_cnt);
    fprintf(t->out, ",\"raw\":\"%s\"}\n", raw);
    t->txs++;
    if (t->max_txs && t->txs >= t->max_txs) quit = 1;
  } else if (m->kind == SOF_PMSG_SLOT) {
    fprintf(t->out, "{\"type\":\"slot\",\"slot\":%llu,\"status\":\"%s\"", (unsigned long long)m->slot.slot,
            sof_pmsg_slot_status_str(m->slot.status));
    if (m->slot.parent != UINT64_MAX) fprintf(t->out, ",\"parent\":%llu", (unsigned long long)m->slot.parent);
    fprintf(t->out, "}\n");
  } else if (m->kind == SOF_PMSG_TXN_STATUS) {
    char sig[SOF_BASE58_ENCODED_64_MAX];
    sof_base58_encode_64(m->status.signature, sig);
    fprintf(t->out, "{\"type\":\"transaction_status\",\"slot\":%llu,\"signature\":\"%s\",\"failed\":%s}\n",
            (unsigned long long)m->status.slot, sig, m->status.failed ? "true" : "false");
  }
  fflush(t->out);
}

static void usage(FILE *f) {
  fputs("usage: sof-provider --url URL [options]\n"
        "\n"
        "Subscribes to a Yellowstone gRPC endpoint (geyser.Geyser/Subscribe) and\n"
        "prints its transactions and slot updates as JSON lines on stdout; the\n"
        "client's counters go to stderr as a last {\"type\":\"summary\"} line.\n"
        "\n"
        "  -u, --url URL            http://host:port (h2c) or https://host[:port] (TLS): Yellowstone\n"
        "                           gRPC; ws://host:port[/path] or wss://...: a websocket\n"
        "                           (transactionSubscribe + slotSubscribe, no replay)\n"
        "  -x, --x-token TOKEN      the x-token header\n"
        "  -c, --commitment LEVEL   processed (default), confirmed, finalized\n"
        "      --vote BOOL          true: votes only, false: no votes (default: both)\n"
        "      --failed BOOL        true: failed only, false: successful only (default: both)\n"
        "      --account-include K  base58 key (repeatable, up to 16); also\n"
        "      --account-exclude K, --account-required K\n"
        "      --no-slots           no slot updates\n"
        "      --no-transactions    no transactions\n"
        "      --from-slot N        replay from slot N (when the server keeps it)\n"
        "      --no-resume          reconnect live (a counted gap), not from the last slot\n"
        "      --backoff-ms MIN:MAX reconnect delay, doubling (default 100:10000)\n"
        "      --idle-ms N          reconnect after N ms without a byte (default 30000)\n"
        "      --ca-file FILE       trust these CAs (PEM) instead of the system's\n"
        "      --insecure           do not verify the server's certificate\n"
        "  -n, --count N            exit after N transactions\n"
        "  -t, --seconds S          exit after S seconds\n"
        "  -h, --help               this text\n"
        "Exit status: 0 after --count, --seconds or SIGINT/SIGTERM, 2 bad usage.\n",
        f);
}

static int parse_bool(char const *s) {
  if (!strcmp(s, "true") || !strcmp(s, "1")) return 1;
  if (!strcmp(s, "false") || !strcmp(s, "0")) return 0;
  return -1;
}

int main(int argc, char **argv) {
  sof_pgrpc_cfg_t cfg;
  sof_pgrpc_cfg_default(&cfg);
  tool_t t = {.out = stdout};
  double seconds = 0;
  int ni = 0, ne = 0, nr = 0;
  enum { O_VOTE = 256, O_FAILED, O_INC, O_EXC, O_REQ, O_NOSLOTS, O_NOTX, O_FROM, O_NORESUME, O_BACKOFF, O_IDLE,
         O_CA, O_INSECURE };
  static struct option const opts[] = {
    {"url", 1, 0, 'u'}, {"x-token", 1, 0, 'x'}, {"commitment", 1, 0, 'c'}, {"vote", 1, 0, O_VOTE},
    {"failed", 1, 0, O_FAILED}, {"account-include", 1, 0, O_INC}, {"account-exclude", 1, 0, O_EXC},
    {"account-required", 1, 0, O_REQ}, {"no-slots", 0, 0, O_NOSLOTS}, {"no-transactions", 0, 0, O_NOTX},
    {"from-slot", 1, 0, O_FROM}, {"no-resume", 0, 0, O_NORESUME}, {"backoff-ms", 1, 0, O_BACKOFF},
    {"idle-ms", 1, 0, O_IDLE}, {"ca-file", 1, 0, O_CA}, {"insecure", 0, 0, O_INSECURE},
    {"count", 1, 0, 'n'}, {"seconds", 1, 0, 't'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
  int o;
  char *end;
  while ((o = getopt_long(argc, argv, "u:x:c:n:t:h", opts, NULL)) != -1) {
    switch (o) {
    case 'u': cfg.url = optarg; break;
    case 'x': cfg.x_token = optarg; break;
    case 'c':
      if (!strcmp(optarg, "processed")) cfg.commitment = 0;
      else if (!strcmp(optarg, "confirmed")) cfg.commitment = 1;
      else if (!strcmp(optarg, "finalized")) cfg.commitment = 2;
      else { fprintf(stderr, "sof-provider: --commitment %s: processed, confirmed or finalized\n", optarg); return 2; }
      break;
    case O_VOTE:
    case O_FAILED: {
      int b = parse_bool(optarg);
      if (b < 0) { fprintf(stderr, "sof-provider: %s: true or false\n", optarg); return 2; }
      if (o == O_VOTE) cfg.vote = b; else cfg.failed = b;
      break;
    }
    case O_INC: case O_EXC: case O_REQ: {
      int *n = o == O_INC ? &ni : o == O_EXC ? &ne : &nr;
      char const **l = o == O_INC ? cfg.account_include : o == O_EXC ? cfg.account_exclude : cfg.account_required;
      uint8_t k[32];
      if (sof_base58_decode_32(optarg, strlen(optarg), k)) { fprintf(stderr, "sof-provider: %s: not a base58 key\n", optarg); return 2; }
      if (*n >= SOF_PGRPC_FILTER_MAX) { fprintf(stderr, "sof-provider: at most %d keys per filter\n", SOF_PGRPC_FILTER_MAX); return 2; }
      l[(*n)++] = optarg;
      break;
    }
    case O_NOSLOTS: cfg.slots = 0; break;
    case O_NOTX: cfg.transactions = 0; break;
    case O_FROM:
      cfg.from_slot = strtoull(optarg, &end, 10);
      if (*end || !*optarg) { fprintf(stderr, "sof-provider: --from-slot %s: a slot number\n", optarg); return 2; }
      break;
    case O_NORESUME: cfg.resume = 0; break;
    case O_BACKOFF:
      if (sscanf(optarg, "%u:%u", &cfg.backoff_min_ms, &cfg.backoff_max_ms) != 2) {
        fprintf(stderr, "sof-provider: --backoff-ms %s: MIN:MAX\n", optarg);
        return 2;
      }
      break;
    case O_IDLE: cfg.idle_ms = (uint32_t)strtoul(optarg, &end, 10); if (*end || !cfg.idle_ms) { fprintf(stderr, "sof-provider: --idle-ms: a positive number\n"); return 2; } break;
    case O_CA: cfg.ca_file = optarg; break;
    case O_INSECURE: cfg.tls_verify = 0; break;
    case 'n': t.max_txs = strtoull(optarg, &end, 10); if (*end) { fprintf(stderr, "sof-provider: --count: a number\n"); return 2; } break;
    case 't': seconds = strtod(optarg, &end); if (*end || seconds <= 0) { fprintf(stderr, "sof-provider: --seconds: a positive number\n"); return 2; } break;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
  }
  if (optind != argc || !cfg.url) { usage(stderr); return 2; }
  char err[256];
  int ws = !strncmp(cfg.url, "ws://", 5) || !strncmp(cfg.url, "wss://", 6);
  sof_pgrpc_t *c = NULL;
  sof_pws_t *w = NULL;
  if (ws ? !(w = sof_pws_new(&cfg, on_msg, &t, err, sizeof err)) : !(c = sof_pgrpc_new(&cfg, on_msg, &t, err, sizeof err))) {
    fprintf(stderr, "sof-provider: %s\n", err);
    return 2;
  }
  signal(SIGINT, on_sig);
  signal(SIGTERM, on_sig);
  if (ws ? sof_pws_start(w) : sof_pgrpc_start(c)) {
    perror("sof-provider: thread");
    sof_pgrpc_delete(c);
    sof_pws_delete(w);
    return 1;
  }
  struct timespec t0, now;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  while (!quit) {
    usleep(10000);
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (seconds > 0 && (double)(now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9 >= seconds) break;
  }
  sof_pgrpc_stats_t s;
  if (ws) {
    sof_pws_stop(w);
    sof_pws_stats(w, &s);
  } else {
    sof_pgrpc_stop(c);
    sof_pgrpc_stats(c, &s);
  }
  fprintf(stderr, "{\"type\":\"summary\"");
#define P_(n, h) fprintf(stderr, ",\"%s\":%llu", #n, (unsigned long long)s.n);
  SOF_PGRPC_STATS_LIST(P_)
#undef P_
  for (int i = 1; i <= SOF_PMSG_REJ_CNT; i++)
    fprintf(stderr, ",\"rejected_%s\":%llu", sof_pmsg_rej_str(i), (unsigned long long)s.rejected_by[i]);
  fprintf(stderr, "}\n");
  sof_pgrpc_delete(c);
  sof_pws_delete(w);
  return 0;
}
