/* failure: turn librdkafka's authentication and TLS events into one log line
 * that names the cause, and remember the last cause of any kind (a host name
 * that does not resolve, a refused connection) for the unreachable
 * notification. librdkafka knows why a connection failed (its error
 * code and text say "SASL authentication error" or "certificate verify
 * failed"), but a metadata request that fails afterwards only says "Broker
 * transport failure". The classification is by error code first, then by the
 * stable phrases of librdkafka's and OpenSSL's texts, most specific first. */
#define _GNU_SOURCE /* strcasestr */
#include "failure.h"

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kml_failure {
  pthread_mutex_t lock;    /* guards the fields below */
  kml_failure_kind_t last; /* the last cause logged */
  double last_time;
  kml_failure_kind_t seen; /* the last cause seen, logged or not */
  double seen_time;
  struct {
    char addr[128];
    double time; /* when it was last named */
  } stalled[KML_FAILURE_ADDRESSES];
  int n_stalled;
};

static const struct {
  const char *phrase;
  kml_failure_kind_t kind;
} phrases[] = {
    /* A SaslHandshake sent to a listener without SASL: the broker lists no
     * mechanism. The error code alone (authentication) would blame the
     * password. */
    {"Request not valid in current SASL state", KML_FAILURE_NOT_SASL},
    {"Unsupported SASL mechanism", KML_FAILURE_SASL_MECHANISM},
    {"SASL authentication error", KML_FAILURE_AUTH},
    {"Authentication failed", KML_FAILURE_AUTH},
    {"invalid credentials", KML_FAILURE_AUTH},
    {"hostname mismatch", KML_FAILURE_TLS_HOSTNAME},
    {"IP address mismatch", KML_FAILURE_TLS_HOSTNAME},
    {"certificate has expired", KML_FAILURE_TLS_EXPIRED},
    {"certificate is not yet valid", KML_FAILURE_TLS_EXPIRED},
    {"certificate verify failed", KML_FAILURE_TLS_UNTRUSTED},
    {"unable to get local issuer certificate", KML_FAILURE_TLS_UNTRUSTED},
    {"self-signed certificate", KML_FAILURE_TLS_UNTRUSTED},
    {"self signed certificate", KML_FAILURE_TLS_UNTRUSTED},
    /* A plaintext client at a TLS listener: the broker drops the bytes
     * that are no TLS handshake. librdkafka's text suggests the protocol,
     * but a broker shutting down closes connections the same way, so this
     * is only remembered for the unreachable notification. */
    {"Disconnected while requesting ApiVersion", KML_FAILURE_CLOSED},
    {"incorrect security.protocol", KML_FAILURE_PROTOCOL},
    {"security.protocol is correctly configured", KML_FAILURE_PROTOCOL},
    {"wrong version number", KML_FAILURE_PROTOCOL},
    /* The peer closed the connection in the middle of the TLS handshake
     * ("Disconnected" when it left the ClientHello unread, OpenSSL's
     * "unexpected eof" when it read it): a plaintext listener does that
     * to a TLS client, and so does a broker going down or a load balancer
     * dropping the connections it held. Only remembered, like a
     * plaintext client at a TLS listener. */
    {"SSL handshake failed: Disconnected", KML_FAILURE_TLS_CLOSED},
    {"unexpected eof while reading", KML_FAILURE_TLS_CLOSED},
    {"SSL handshake failed", KML_FAILURE_TLS},
    /* Where a connection failed before any protocol was spoken. */
    {"Failed to resolve", KML_FAILURE_RESOLVE},
    {"Connection refused", KML_FAILURE_REFUSED},
    /* socket.connection.setup.timeout.ms names the state it ended: past
     * CONNECT the address took the connection and then said nothing (a
     * hung broker, a load balancer whose broker is gone), which a
     * firewall dropping the SYNs ("in state CONNECT") does not explain. */
    {"timed out in state SSL_HANDSHAKE", KML_FAILURE_TLS_STALLED},
    {"timed out in state APIVERSION_QUERY", KML_FAILURE_STALLED},
    {"timed out in state AUTH_", KML_FAILURE_STALLED},
    /* A request written to an open connection and never answered (with
     * socket.timeout.ms = Timeout this comes before the setup timeout):
     * "Timed out ApiVersionRequest in flight (after 2002ms, timeout #0)",
     * then "ApiVersionRequest failed: Local: Timed out: ...". */
    {"Request in flight (after", KML_FAILURE_STALLED},
    {"ApiVersionRequest failed: Local: Timed out", KML_FAILURE_STALLED},
    /* "Timed out 1 in-flight, 0 retry-queued, 0 out-queue, 0
     * partially-sent requests" sums up the lines above: no cause of its
     * own, it must not replace theirs. */
    {" in-flight, ", KML_FAILURE_NONE},
    {"timed out", KML_FAILURE_TIMEOUT},
};

kml_failure_kind_t kml_failure_classify(int err, const char *text) {
  if (text != NULL)
    for (size_t i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++)
      if (strcasestr(text, phrases[i].phrase) != NULL)
        return phrases[i].kind;
  switch (err) {
  case RD_KAFKA_RESP_ERR__AUTHENTICATION:
  case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    return KML_FAILURE_AUTH;
  case RD_KAFKA_RESP_ERR_UNSUPPORTED_SASL_MECHANISM:
    return KML_FAILURE_SASL_MECHANISM;
  case RD_KAFKA_RESP_ERR__SSL:
    return KML_FAILURE_TLS;
  default:
    return KML_FAILURE_NONE;
  }
}

/* Per kind: what an operator reads and does (the log line), and the same
 * in a few words (the unreachable notification). One table, so a new kind
 * gets both or neither. */
static const struct {
  const char *text;
  const char *brief;
} kinds[] = {
    [KML_FAILURE_AUTH] =
        {"authentication failed: the broker refused the SASL user name or "
         "password (sasl.username, sasl.password, sasl.mechanisms)",
         "authentication failed (SASL user name or password refused)"},
    [KML_FAILURE_NOT_SASL] =
        {"the listener does not use SASL (it offers no mechanism): "
         "security.protocol SASL_* does not match it; use the port of a "
         "SASL listener or the listener's own protocol",
         "the listener does not use SASL (security.protocol)"},
    [KML_FAILURE_SASL_MECHANISM] =
        {"SASL mechanism refused: the listener does not enable the one in "
         "sasl.mechanisms",
         "SASL mechanism not enabled on the listener"},
    [KML_FAILURE_TLS_UNTRUSTED] =
        {"TLS: the broker's certificate is not trusted (ssl.ca.location "
         "must name the CA that signed it)",
         "TLS certificate not trusted"},
    [KML_FAILURE_TLS_HOSTNAME] =
        {"TLS: the broker's certificate does not name the address "
         "connected to",
         "TLS certificate names another host"},
    [KML_FAILURE_TLS_EXPIRED] =
        {"TLS: the broker's certificate has expired or is not yet valid",
         "TLS certificate expired or not yet valid"},
    [KML_FAILURE_TLS] = {"TLS handshake failed", "TLS handshake failed"},
    [KML_FAILURE_PROTOCOL] =
        {"the broker closed the connection before answering: "
         "security.protocol may not match its listener (plaintext, TLS, "
         "SASL)",
         "security.protocol does not match the listener"},
    [KML_FAILURE_CLOSED] =
        {"the broker closed the connection before its first answer: "
         "security.protocol plaintext against a TLS listener, or a broker "
         "going down",
         "closed before any answer (plaintext client at a TLS listener?)"},
    [KML_FAILURE_RESOLVE] = {"cannot resolve the broker's host name",
                             "cannot resolve the host name"},
    [KML_FAILURE_REFUSED] =
        {"connection refused: nothing listens on the broker's port",
         "connection refused"},
    [KML_FAILURE_TIMEOUT] =
        {"connection timed out: no answer from the broker's address",
         "connection timed out"},
    [KML_FAILURE_TLS_STALLED] =
        {"TLS handshake timed out: the broker's address accepted the "
         "connection but did not answer the handshake in time (a hung "
         "broker, or a load balancer whose broker is gone)",
         "TLS handshake not answered in time (the connection was accepted)"},
    [KML_FAILURE_STALLED] =
        {"the broker's address accepted the connection but did not answer "
         "its first request (ApiVersion, SASL) in time (a hung broker, or a "
         "load balancer whose broker is gone)",
         "no answer after the connection was accepted"},
    [KML_FAILURE_TLS_CLOSED] =
        {"the broker closed the connection during the TLS handshake: "
         "security.protocol SSL against a plaintext listener, or a broker "
         "going down",
         "closed during the TLS handshake (TLS client at a plaintext "
         "listener?)"},
};
_Static_assert(sizeof(kinds) / sizeof(kinds[0]) == KML_FAILURE_KINDS,
               "every kind has its texts");

static int known_kind(kml_failure_kind_t k) {
  return k > KML_FAILURE_NONE && k < KML_FAILURE_KINDS && kinds[k].text != NULL;
}

const char *kml_failure_kind_str(kml_failure_kind_t k) {
  return known_kind(k) ? kinds[k].text : "no known cause";
}

const char *kml_failure_kind_brief(kml_failure_kind_t k) {
  return known_kind(k) ? kinds[k].brief : "";
}

/* Causes that a down or hung broker or network explains: remembered for the
 * unreachable notification, never an error line of their own (a cluster
 * keeps working while one of its brokers refuses connections). */
static int is_connectivity(kml_failure_kind_t k) {
  return k == KML_FAILURE_RESOLVE || k == KML_FAILURE_REFUSED ||
         k == KML_FAILURE_TIMEOUT || k == KML_FAILURE_CLOSED ||
         k == KML_FAILURE_TLS_STALLED || k == KML_FAILURE_STALLED ||
         k == KML_FAILURE_TLS_CLOSED;
}

kml_failure_t *kml_failure_new(void) {
  kml_failure_t *f = calloc(1, sizeof(*f));
  if (f != NULL)
    pthread_mutex_init(&f->lock, NULL);
  return f;
}

void kml_failure_destroy(kml_failure_t *f) {
  if (f == NULL)
    return;
  pthread_mutex_destroy(&f->lock);
  free(f);
}

int kml_failure_note(kml_failure_t *f, int err, const char *text, double now,
                     double repeat_seconds, char *line, size_t len) {
  kml_failure_kind_t k = kml_failure_classify(err, text);
  if (k == KML_FAILURE_NONE || f == NULL)
    return 0;
  pthread_mutex_lock(&f->lock);
  f->seen = k;
  f->seen_time = now;
  int fresh = !is_connectivity(k) &&
              (k != f->last || now - f->last_time >= repeat_seconds);
  if (fresh) {
    f->last = k;
    f->last_time = now;
  }
  pthread_mutex_unlock(&f->lock);
  if (!fresh)
    return 0;
  if (text == NULL)
    text = rd_kafka_err2str(err);
  else if (strncmp(text, "[thrd:", 6) == 0 && strstr(text, "]: ") != NULL)
    text = strstr(text, "]: ") + 3; /* the log line's thread prefix */
  snprintf(line, len, "%s: %.300s", kml_failure_kind_str(k), text);
  return 1;
}

kml_failure_kind_t kml_failure_last(kml_failure_t *f, double since) {
  if (f == NULL)
    return KML_FAILURE_NONE;
  pthread_mutex_lock(&f->lock);
  kml_failure_kind_t k = f->seen_time >= since ? f->seen : KML_FAILURE_NONE;
  pthread_mutex_unlock(&f->lock);
  return k;
}

/* librdkafka's texts start with the broker's name, after the log line's
 * thread prefix: "[thrd:...]: ssl://10.0.0.1:9093/bootstrap: Connection
 * setup timed out in state SSL_HANDSHAKE ..."; a learnt broker is
 * "host:port/<id>", not an address of the Brokers list. */
static int stalled_address(kml_failure_kind_t k, const char *text, char *addr,
                           size_t len) {
  if (text == NULL || len == 0 ||
      (k != KML_FAILURE_STALLED && k != KML_FAILURE_TLS_STALLED))
    return 0;
  if (strncmp(text, "[thrd:", 6) == 0 && strstr(text, "]: ") != NULL)
    text = strstr(text, "]: ") + 3;
  const char *end = strstr(text, ": ");
  static const char suffix[] = "/bootstrap";
  size_t sl = sizeof(suffix) - 1;
  if (end == NULL || (size_t)(end - text) <= sl ||
      memcmp(end - sl, suffix, sl) != 0)
    return 0;
  end -= sl;
  const char *scheme = strstr(text, "://");
  if (scheme != NULL && scheme < end)
    text = scheme + 3;
  if (end <= text || (size_t)(end - text) >= len)
    return 0;
  memcpy(addr, text, end - text);
  addr[end - text] = '\0';
  return 1;
}

int kml_failure_stalled_address(int err, const char *text, char *addr,
                                size_t len) {
  return stalled_address(kml_failure_classify(err, text), text, addr, len);
}

int kml_failure_note_stalled(kml_failure_t *f, int err, const char *text,
                             double now, double repeat_seconds, char *line,
                             size_t len) {
  char addr[128];
  kml_failure_kind_t k = kml_failure_classify(err, text);
  if (f == NULL || stalled_address(k, text, addr, sizeof(addr)) == 0)
    return 0;
  int fresh = 0;
  pthread_mutex_lock(&f->lock);
  int i = 0;
  while (i < f->n_stalled && strcmp(f->stalled[i].addr, addr) != 0)
    i++;
  if (i == f->n_stalled && i < KML_FAILURE_ADDRESSES) {
    snprintf(f->stalled[i].addr, sizeof(f->stalled[i].addr), "%s", addr);
    f->n_stalled++;
    fresh = 1;
  } else if (i < f->n_stalled) {
    fresh = now - f->stalled[i].time >= repeat_seconds;
  }
  if (fresh)
    f->stalled[i].time = now;
  pthread_mutex_unlock(&f->lock);
  if (fresh)
    snprintf(line, len, "Brokers address %s: %s", addr,
             kml_failure_kind_str(k));
  return fresh;
}
