/* failure: names the cause of a connection failure. librdkafka reports a
 * refused password or an untrusted certificate in its error and log events,
 * while the request that fails afterwards says only "Broker transport
 * failure"; this module recognizes those events (and a host name that does
 * not resolve, a refused or timed out connection, a connection accepted
 * and then left unanswered), decides when a cause is worth a log line (when
 * it changes, and again after a quiet period) and remembers the last one for
 * the unreachable notification.
 *
 * kml_failure_classify and kml_failure_kind_str are pure and thread-safe;
 * kml_failure_note locks the tracker (librdkafka calls from its threads). */
#ifndef KML_KAFKA_FAILURE_H
#define KML_KAFKA_FAILURE_H

#include <stddef.h>

typedef enum {
  KML_FAILURE_NONE = 0,
  KML_FAILURE_AUTH,           /* SASL credentials refused */
  KML_FAILURE_SASL_MECHANISM, /* mechanism not enabled on the listener */
  KML_FAILURE_NOT_SASL,       /* SASL against a listener without SASL */
  KML_FAILURE_TLS_UNTRUSTED, /* broker certificate not signed by a trusted CA */
  KML_FAILURE_TLS_HOSTNAME,  /* certificate does not name the broker address */
  KML_FAILURE_TLS_EXPIRED,   /* certificate expired or not yet valid */
  KML_FAILURE_TLS,           /* any other TLS handshake failure */
  KML_FAILURE_PROTOCOL,      /* security.protocol does not fit the listener */
  KML_FAILURE_CLOSED,      /* closed before the first answer: plaintext against
                              TLS, or a broker going down */
  KML_FAILURE_RESOLVE,     /* the broker's host name does not resolve */
  KML_FAILURE_REFUSED,     /* nothing listens on the broker's port */
  KML_FAILURE_TIMEOUT,     /* no answer from the broker's address */
  KML_FAILURE_TLS_STALLED, /* connection accepted, TLS handshake unanswered:
                              a hung broker or load balancer */
  KML_FAILURE_STALLED,     /* connection accepted, first request (ApiVersion,
                              SASL) unanswered */
  KML_FAILURE_TLS_CLOSED,  /* closed during the TLS handshake: TLS against
                              plaintext, or a broker or load balancer going
                              down */
  KML_FAILURE_KINDS        /* the number of kinds, none of them */
} kml_failure_kind_t;

typedef struct kml_failure kml_failure_t;

/* The cause of librdkafka error code err (0 when only text is known) with
 * librdkafka's text; KML_FAILURE_NONE when neither names one. */
kml_failure_kind_t kml_failure_classify(int err, const char *text);
/* What an operator reads and does for a kind: a static string. */
const char *kml_failure_kind_str(kml_failure_kind_t k);
/* The kind in a few words, for a notification: a static string, "" for
 * KML_FAILURE_NONE. */
const char *kml_failure_kind_brief(kml_failure_kind_t k);

/* A tracker that remembers the last cause logged. Caller destroys. */
kml_failure_t *kml_failure_new(void);
void kml_failure_destroy(kml_failure_t *f);
/* Classify (err, text) seen at time now (seconds) and remember it as the
 * last cause seen; when it names a cause other than a resolve, refused,
 * timed out or unanswered connection (which a down or hung broker
 * explains) that differs from the last one logged, or the same cause after
 * repeat_seconds, fill line with "<what to do>: <librdkafka's text>" and
 * return 1; else 0. librdkafka's texts carry no secrets (no property value
 * is quoted in them). Thread-safe. */
int kml_failure_note(kml_failure_t *f, int err, const char *text, double now,
                     double repeat_seconds, char *line, size_t len);

/* A connection accepted and then left unanswered (KML_FAILURE_STALLED,
 * KML_FAILURE_TLS_STALLED) at an address of the Brokers list (librdkafka
 * names those "host:port/bootstrap"): a hung broker, or a load balancer
 * whose broker is gone, that the other addresses hide while they answer.
 * When (err, text) is one, fill addr with "host:port" (no "ssl://") and
 * return 1; else 0. Pure. */
int kml_failure_stalled_address(int err, const char *text, char *addr,
                                size_t len);
/* The same, remembered: the first time an address is seen stalled (and
 * again after repeat_seconds while it lasts) fill line with the address
 * and what it did and return 1; else 0. Up to KML_FAILURE_ADDRESSES
 * addresses are remembered. Thread-safe. */
#define KML_FAILURE_ADDRESSES 16
int kml_failure_note_stalled(kml_failure_t *f, int err, const char *text,
                             double now, double repeat_seconds, char *line,
                             size_t len);

/* The last cause kml_failure_note saw at or after since (seconds, same
 * clock as now there); KML_FAILURE_NONE when none. Thread-safe. */
kml_failure_kind_t kml_failure_last(kml_failure_t *f, double since);

#endif
