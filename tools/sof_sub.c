/* sof-sub: a small consumer of the nats plugin's JetStream stream
 * (docs/scale-out.md). A durable pull consumer prints each event's payload
 * (a JSON object) as one line on stdout, resuming after a restart exactly
 * where it stopped: a fetched batch (what the stream has for it now, up to
 * --batch; else the next event as soon as it comes) is written and
 * flushed, then its last
 * message acknowledged (ack policy "all") and the ack confirmed by the
 * server before the next fetch. SIGINT / SIGTERM end it after the batch in
 * hand. A kill -9 between the flush and the ack confirmation is the one
 * window in which the next run repeats that batch (--meta prints the
 * stream sequence, so a reader can drop what it has already seen).
 *
 * With the plugin's format = protobuf, a message whose Sof-Schema header
 * names a protobuf type is printed as {"schema":"<type>","protobuf":
 * "<payload, base64>"} (decode it with proto/), so that every line stays
 * JSON.
 *
 * Exit status: 0 (signal, --count or --idle-exit-ms reached), 1 a runtime
 * error (connection lost for good, write error), 2 bad usage. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nats/nats.h>
#include <openssl/evp.h>

/* Writes payload (n bytes) as {"schema":...,"protobuf":"<base64>"}. */
static void
put_protobuf(char const *schema, unsigned char const *payload, int n) {
  static unsigned char *b64;
  static size_t cap;
  size_t need = 4 * (((size_t)n + 2) / 3) + 1;
  if (need > cap) {
    unsigned char *nb = realloc(b64, need);
    if (!nb) {
      printf("{\"schema\":\"%s\",\"protobuf\":null}", schema);
      return;
    }
    b64 = nb;
    cap = need;
  }
  int len = EVP_EncodeBlock(b64, payload, n);
  printf("{\"schema\":\"%s\",\"protobuf\":\"%.*s\"}", schema, len, (char const *)b64);
}

static void
usage(FILE *f) {
  fprintf(f,
          "usage: sof-sub [options]\n"
          "\n"
          "Reads the nats plugin's JetStream stream through a durable pull consumer and\n"
          "prints each event's JSON payload as one line on stdout. Run it again with the\n"
          "same --durable name and it resumes after the last event it printed.\n"
          "\n"
          "  -s, --server URL        NATS server(s), comma-separated (default nats://127.0.0.1:4222)\n"
          "      --stream NAME       the stream (default SOF, the plugin's default)\n"
          "  -d, --durable NAME      durable consumer name: the position survives restarts\n"
          "                          (without it: an ephemeral consumer, from the start options)\n"
          "  -f, --subject FILTER    only subjects matching FILTER (e.g. sof.tx.>, sof.slot);\n"
          "                          fixed when the durable consumer is created\n"
          "      --start-seq N       a new consumer starts at stream sequence N\n"
          "      --start-time T      a new consumer starts at time T: UNIX seconds or\n"
          "                          YYYY-MM-DDTHH:MM:SSZ (UTC)\n"
          "      --new               a new consumer starts with the next event published\n"
          "                          (default: the first event in the stream)\n"
          "      --meta              print {\"seq\":N,\"time\":NS,\"subject\":\"...\",\"event\":PAYLOAD}\n"
          "                          (a protobuf payload, format = protobuf: {\"schema\":TYPE,\"protobuf\":BASE64})\n"
          "                          instead (time: when the stream stored it, UNIX ns; with\n"
          "                          the plugin's latency_header, \"rxNs\": its RX time)\n"
          "      --latency           at exit, print on stderr the latency from each event's RX in\n"
          "                          sofd to its output here (the Sof-Rx-Ns header the plugin adds\n"
          "                          with latency_header = true): {\"type\":\"latency\",...}\n"
          "  -n, --count N           exit after N events\n"
          "      --idle-exit-ms MS   exit when no event came for MS milliseconds\n"
          "      --batch N           events fetched (and acknowledged) at a time (default 256)\n"
          "  -h, --help              this text\n"
          "\n"
          "The start options apply when the durable consumer is created; an existing one\n"
          "resumes where it stopped (delete it with `nats consumer rm` to start over).\n");
}

static volatile sig_atomic_t stop_flag;

static int
cmp_i64(void const *a, void const *b) {
  int64_t x = *(int64_t const *)a, y = *(int64_t const *)b;
  return x < y ? -1 : x > y;
}

static void
on_signal(int sig) {
  (void)sig;
  stop_flag = 1;
}

static int
parse_u64(char const *s, uint64_t *out) {
  if (!s || !*s) return -1;
  uint64_t v = 0;
  for (char const *p = s; *p; p++) {
    if (*p < '0' || *p > '9') return -1;
    if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10) return -1;
    v = v * 10 + (uint64_t)(*p - '0');
  }
  *out = v;
  return 0;
}

/* UNIX seconds, or YYYY-MM-DDTHH:MM:SSZ: ns since the epoch. */
static int
parse_time(char const *s, int64_t *ns) {
  uint64_t secs;
  if (!parse_u64(s, &secs)) {
    if (secs > (uint64_t)INT64_MAX / 1000000000ULL) return -1;
    *ns = (int64_t)secs * 1000000000LL;
    return 0;
  }
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  char const *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (!end || *end) return -1;
  time_t t = timegm(&tm);
  if (t < 0) return -1;
  *ns = (int64_t)t * 1000000000LL;
  return 0;
}

int
main(int argc, char **argv) {
  char const *url = "nats://127.0.0.1:4222", *stream = "SOF", *durable = NULL, *filter = NULL;
  uint64_t start_seq = 0, count = 0, idle_ms = 0, batch = 256;
  int64_t start_time = 0;
  int has_seq = 0, has_time = 0, deliver_new = 0, meta = 0;
  int latency = 0;
  enum { O_STREAM = 256, O_START_SEQ, O_START_TIME, O_NEW, O_META, O_IDLE, O_BATCH, O_LATENCY };
  static struct option const lo[] = {
    {"server", required_argument, 0, 's'},      {"stream", required_argument, 0, O_STREAM},
    {"durable", required_argument, 0, 'd'},     {"subject", required_argument, 0, 'f'},
    {"start-seq", required_argument, 0, O_START_SEQ}, {"start-time", required_argument, 0, O_START_TIME},
    {"new", no_argument, 0, O_NEW},             {"meta", no_argument, 0, O_META},
    {"count", required_argument, 0, 'n'},       {"idle-exit-ms", required_argument, 0, O_IDLE},
    {"batch", required_argument, 0, O_BATCH},   {"help", no_argument, 0, 'h'},
    {"latency", no_argument, 0, O_LATENCY},
    {0, 0, 0, 0},
  };
  int c;
  while ((c = getopt_long(argc, argv, "s:d:f:n:h", lo, NULL)) != -1) {
    switch (c) {
    case 's': url = optarg; break;
    case O_STREAM: stream = optarg; break;
    case 'd': durable = optarg; break;
    case 'f': filter = optarg; break;
    case O_START_SEQ:
      if (parse_u64(optarg, &start_seq) || !start_seq) {
        fprintf(stderr, "sof-sub: --start-seq: '%s' is not a sequence (1 or more)\n", optarg);
        return 2;
      }
      has_seq = 1;
      break;
    case O_START_TIME:
      if (parse_time(optarg, &start_time)) {
        fprintf(stderr, "sof-sub: --start-time: '%s' is neither UNIX seconds nor YYYY-MM-DDTHH:MM:SSZ\n", optarg);
        return 2;
      }
      has_time = 1;
      break;
    case O_NEW: deliver_new = 1; break;
    case O_META: meta = 1; break;
    case O_LATENCY: latency = 1; break;
    case 'n':
      if (parse_u64(optarg, &count) || !count) {
        fprintf(stderr, "sof-sub: --count: '%s' is not a count (1 or more)\n", optarg);
        return 2;
      }
      break;
    case O_IDLE:
      if (parse_u64(optarg, &idle_ms) || !idle_ms || idle_ms > 86400000ULL) {
        fprintf(stderr, "sof-sub: --idle-exit-ms: '%s' is not 1..86400000\n", optarg);
        return 2;
      }
      break;
    case O_BATCH:
      if (parse_u64(optarg, &batch) || !batch || batch > 10000) {
        fprintf(stderr, "sof-sub: --batch: '%s' is not 1..10000\n", optarg);
        return 2;
      }
      break;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "sof-sub: unexpected argument '%s'\n", argv[optind]);
    usage(stderr);
    return 2;
  }
  if (has_seq + has_time + deliver_new > 1) {
    fprintf(stderr, "sof-sub: --start-seq, --start-time and --new exclude each other\n");
    return 2;
  }

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESTART; /* a write to a full pipe completes: the batch goes out whole, then is acked */
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  int rc = 1;
  natsOptions *opts = NULL;
  natsConnection *nc = NULL;
  jsCtx *js = NULL;
  natsSubscription *sub = NULL;
  jsConsumerInfo *ci = NULL;
  jsStreamInfo *si = NULL;
  jsErrCode jerr = 0;
  char urls[4096];
  char const *srv_list[16];
  int list_cnt = 0;
  snprintf(urls, sizeof urls, "%s", url);
  for (char *save = NULL, *tok = strtok_r(urls, ",", &save); tok && list_cnt < 16; tok = strtok_r(NULL, ",", &save))
    srv_list[list_cnt++] = tok;
  if (!list_cnt) {
    fprintf(stderr, "sof-sub: --server: no URL\n");
    return 2;
  }
  natsStatus s = natsOptions_Create(&opts);
  if (s == NATS_OK) s = natsOptions_SetServers(opts, srv_list, list_cnt);
  if (s == NATS_OK) s = natsOptions_SetName(opts, "sof-sub");
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, 200);
  if (s == NATS_OK) s = natsConnection_Connect(&nc, opts);
  if (s != NATS_OK) {
    fprintf(stderr, "sof-sub: cannot connect to %s: %s\n", url, natsStatus_GetText(s));
    goto out;
  }
  if ((s = natsConnection_JetStream(&js, nc, NULL)) != NATS_OK) {
    fprintf(stderr, "sof-sub: JetStream: %s\n", nats_GetLastError(NULL));
    goto out;
  }
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = stream;
  int exists = 0;
  if (durable) {
    s = js_GetConsumerInfo(&ci, js, stream, durable, NULL, &jerr);
    if (s == NATS_OK) exists = 1;
    else if (s != NATS_NOT_FOUND && jerr != JSConsumerNotFoundErr) {
      fprintf(stderr, "sof-sub: stream %s, consumer %s: %s\n", stream, durable, nats_GetLastError(NULL));
      goto out;
    }
  }
  if (exists) {
    so.Consumer = durable; /* bind: it resumes after its last ack */
    if (has_seq || has_time || deliver_new || filter)
      fprintf(stderr, "sof-sub: consumer %s exists: it resumes where it stopped (start and subject options "
              "ignored)\n", durable);
  } else {
    so.Config.AckPolicy = js_AckAll;
    so.Config.FilterSubject = filter;
    if (has_seq) {
      so.Config.DeliverPolicy = js_DeliverByStartSequence;
      so.Config.OptStartSeq = start_seq;
    } else if (has_time) {
      so.Config.DeliverPolicy = js_DeliverByStartTime;
      so.Config.OptStartTime = start_time;
    } else if (deliver_new) {
      so.Config.DeliverPolicy = js_DeliverNew;
    }
  }
  /* libnats wants a subject: the consumer's filter, else the stream's subject */
  char const *subj = exists ? (ci->Config && ci->Config->FilterSubject && *ci->Config->FilterSubject
                               ? ci->Config->FilterSubject : NULL)
                            : filter;
  if (!subj) {
    s = js_GetStreamInfo(&si, js, stream, NULL, &jerr);
    if (s != NATS_OK || !si->Config || si->Config->SubjectsLen < 1) {
      fprintf(stderr, "sof-sub: stream %s: %s\n", stream,
              s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr ? "no such stream" : nats_GetLastError(NULL));
      goto out;
    }
    subj = si->Config->Subjects[0];
  }
  /* a JetStream cluster that just lost its meta leader answers nothing until
   * it elected another: try for about 20 s */
  for (int tries = 0;; tries++) {
    s = js_PullSubscribe(&sub, js, subj, durable, NULL, &so, &jerr);
    if ((s != NATS_TIMEOUT && s != NATS_NO_RESPONDERS) || tries >= 4 || stop_flag) break;
    fprintf(stderr, "sof-sub: stream %s: no answer from JetStream yet (%s), trying again\n", stream,
            natsStatus_GetText(s));
  }
  if (s != NATS_OK) {
    fprintf(stderr, "sof-sub: cannot subscribe to stream %s: %s (%s, JetStream error %d)\n", stream,
            nats_GetLastError(NULL), natsStatus_GetText(s), (int)jerr);
    goto out;
  }
  uint64_t printed = 0;
  int64_t *lats = NULL;
  size_t lat_cnt = 0, lat_cap = 0;
  int64_t idle_since = nats_Now();
  rc = 0;
  while (!stop_flag && (!count || printed < count)) {
    natsMsgList list = { 0 };
    uint64_t want = batch;
    if (count && count - printed < want) want = count - printed;
    /* what is there now (no_wait: the server answers at once), else wait
     * for the next one: a fetch of a whole batch would wait until the batch
     * is full or the request expires */
    jsFetchRequest req;
    jsFetchRequest_Init(&req);
    req.Batch = (int)want;
    req.NoWait = true;
    req.Expires = 1000LL * 1000000LL; /* ns */
    s = natsSubscription_FetchRequest(&list, sub, &req);
    if (s == NATS_NOT_FOUND || s == NATS_TIMEOUT || (s == NATS_OK && !list.Count)) {
      natsMsgList_Destroy(&list);
      s = natsSubscription_Fetch(&list, sub, 1, 250, &jerr);
    }
    if (s == NATS_TIMEOUT || (s == NATS_OK && !list.Count)) {
      natsMsgList_Destroy(&list);
      if (idle_ms && nats_Now() - idle_since >= (int64_t)idle_ms) break;
      continue;
    }
    if (s != NATS_OK) {
      natsMsgList_Destroy(&list);
      if (s == NATS_CONNECTION_CLOSED) {
        fprintf(stderr, "sof-sub: connection closed\n");
        rc = 1;
        break;
      }
      continue; /* disconnected: libnats reconnects; fetch again */
    }
    idle_since = nats_Now();
    for (int i = 0; i < list.Count; i++) {
      natsMsg *m = list.Msgs[i];
      if (meta) {
        jsMsgMetaData *md = NULL;
        uint64_t seq = 0;
        int64_t ts = 0;
        if (natsMsg_GetMetaData(&md, m) == NATS_OK) {
          seq = md->Sequence.Stream;
          ts = md->Timestamp;
          jsMsgMetaData_Destroy(md);
        }
        char const *rxh = NULL;
        printf("{\"seq\":%" PRIu64 ",\"time\":%" PRId64 ",", seq, ts);
        if (natsMsgHeader_Get(m, "Sof-Rx-Ns", &rxh) == NATS_OK && rxh) printf("\"rxNs\":%s,", rxh);
        printf("\"subject\":\"%s\",\"event\":", natsMsg_GetSubject(m));
      }
      char const *schema = NULL;
      if (natsMsgHeader_Get(m, "Sof-Schema", &schema) == NATS_OK && schema && strcmp(schema, "json") &&
          !strchr(schema, '"') && !strchr(schema, '\\'))
        put_protobuf(schema, (unsigned char const *)natsMsg_GetData(m), natsMsg_GetDataLength(m));
      else
        fwrite(natsMsg_GetData(m), 1, (size_t)natsMsg_GetDataLength(m), stdout);
      fputs(meta ? "}\n" : "\n", stdout);
      char const *rx = NULL;
      if (latency && natsMsgHeader_Get(m, "Sof-Rx-Ns", &rx) == NATS_OK && rx) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        int64_t d = (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec - strtoll(rx, NULL, 10);
        if (lat_cnt == lat_cap) {
          size_t cap = lat_cap ? lat_cap * 2 : 65536;
          int64_t *n = realloc(lats, cap * sizeof *n);
          if (n) {
            lats = n;
            lat_cap = cap;
          }
        }
        if (lat_cnt < lat_cap) lats[lat_cnt++] = d;
      }
    }
    if (fflush(stdout) || ferror(stdout)) {
      fprintf(stderr, "sof-sub: writing stdout: %s (the batch is not acknowledged)\n", strerror(errno));
      natsMsgList_Destroy(&list);
      rc = 1;
      break;
    }
    /* the batch is out: acknowledge it (ack policy all: the last one covers it) */
    for (int tries = 0;; tries++) {
      s = natsMsg_AckSync(list.Msgs[list.Count - 1], NULL, &jerr);
      if (s == NATS_OK || tries >= 50) break;
      nats_Sleep(100);
    }
    if (s != NATS_OK) {
      fprintf(stderr, "sof-sub: acknowledging: %s (this batch will be delivered again)\n", natsStatus_GetText(s));
      natsMsgList_Destroy(&list);
      rc = 1;
      break;
    }
    printed += (uint64_t)list.Count;
    natsMsgList_Destroy(&list);
  }
  if (latency) {
    qsort(lats, lat_cnt, sizeof *lats, cmp_i64);
    fprintf(stderr, "{\"type\":\"latency\",\"unit\":\"us\",\"count\":%zu", lat_cnt);
    if (lat_cnt)
      fprintf(stderr, ",\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"max\":%.1f",
              (double)lats[(lat_cnt - 1) / 2] / 1e3, (double)lats[(lat_cnt * 9 - 1) / 10] / 1e3,
              (double)lats[(lat_cnt * 99 - 1) / 100] / 1e3, (double)lats[lat_cnt - 1] / 1e3);
    fprintf(stderr, "}\n");
  }
  free(lats);
out:
  jsConsumerInfo_Destroy(ci);
  jsStreamInfo_Destroy(si);
  natsSubscription_Destroy(sub); /* a durable consumer stays on the server */
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  natsOptions_Destroy(opts);
  nats_CloseAndWait(2000);
  return rc;
}
