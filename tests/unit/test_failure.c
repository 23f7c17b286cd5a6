/* Unit tests for src/kafka/failure.c: librdkafka's texts (as logged by
 * librdkafka 2.0.2 against Kafka 3.9) name their cause, and the tracker logs
 * a cause once per change and again after the quiet period. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "kafka/failure.h"

#include <librdkafka/rdkafka.h>
#include <string.h>

static void texts_name_their_cause(void **state) {
  static const struct {
    const char *text;
    kml_failure_kind_t kind;
  } cases[] = {
      {"sasl_plaintext://127.0.0.1:1/bootstrap: SASL authentication error: "
       "Authentication failed: Invalid username or password (after 302ms in "
       "state AUTH_REQ)",
       KML_FAILURE_AUTH},
      {"SASL authentication error: Authentication failed during "
       "authentication due to invalid credentials with SASL mechanism "
       "SCRAM-SHA-512",
       KML_FAILURE_AUTH},
      {"SASL SCRAM-SHA-256 mechanism handshake failed: Broker: Unsupported "
       "SASL mechanism: broker's supported mechanisms: PLAIN,SCRAM-SHA-512",
       KML_FAILURE_SASL_MECHANISM},
      /* SASL_PLAINTEXT against a PLAINTEXT listener (Kafka 3.9) */
      {"sasl_plaintext://127.0.0.1:39645/bootstrap: SASL PLAIN mechanism "
       "handshake failed: Broker: Request not valid in current SASL state: "
       "broker's supported mechanisms:  (after 1ms in state AUTH_HANDSHAKE)",
       KML_FAILURE_NOT_SASL},
      {"ssl://127.0.0.1:1/bootstrap: SSL handshake failed: "
       "error:0A000086:SSL routines::certificate verify failed: broker "
       "certificate could not be verified",
       KML_FAILURE_TLS_UNTRUSTED},
      {"SSL handshake failed: certificate verify failed: Hostname mismatch",
       KML_FAILURE_TLS_HOSTNAME},
      {"SSL handshake failed: certificate verify failed: certificate has "
       "expired",
       KML_FAILURE_TLS_EXPIRED},
      {"SSL handshake failed: error:0A00010B:SSL routines::wrong version "
       "number",
       KML_FAILURE_PROTOCOL},
      {"SSL handshake failed: error:0A000410:SSL routines::sslv3 alert "
       "handshake failure",
       KML_FAILURE_TLS},
      {"127.0.0.1:1/1: Connect to ipv4#127.0.0.1:1 failed: Connection refused",
       KML_FAILURE_REFUSED},
      {"kafka.invalid:9092/bootstrap: Failed to resolve 'kafka.invalid:9092': "
       "Name or service not known (after 2ms in state CONNECT)",
       KML_FAILURE_RESOLVE},
      {"10.255.255.1:9092/bootstrap: Connection setup timed out in state "
       "CONNECT (after 30029ms in state CONNECT)",
       KML_FAILURE_TIMEOUT},
      /* a listener (or a proxy in front of it) that accepts the connection
       * and then says nothing: TLS, plaintext, SASL */
      {"ssl://127.0.0.1:59707/bootstrap: Connection setup timed out in "
       "state SSL_HANDSHAKE (after 2002ms in state SSL_HANDSHAKE)",
       KML_FAILURE_TLS_STALLED},
      {"127.0.0.1:59707/bootstrap: Connection setup timed out in state "
       "APIVERSION_QUERY (after 2002ms in state APIVERSION_QUERY)",
       KML_FAILURE_STALLED},
      /* the same with socket.timeout.ms = the setup timeout: the request
       * times out first, then a summary that names no cause */
      {"127.0.0.1:56461/bootstrap: Timed out ApiVersionRequest in flight "
       "(after 2002ms, timeout #0)",
       KML_FAILURE_STALLED},
      {"127.0.0.1:56461/bootstrap: ApiVersionRequest failed: Local: Timed "
       "out: probably due to broker version < 0.10 (see api.version.request "
       "configuration) (after 2002ms in state APIVERSION_QUERY)",
       KML_FAILURE_STALLED},
      {"127.0.0.1:56461/bootstrap: Timed out 1 in-flight, 0 retry-queued, 0 "
       "out-queue, 0 partially-sent requests",
       KML_FAILURE_NONE},
      {"sasl_plaintext://127.0.0.1:1/bootstrap: Connection setup timed out "
       "in state AUTH_HANDSHAKE (after 1500ms in state AUTH_HANDSHAKE)",
       KML_FAILURE_STALLED},
      /* closed in the middle of the TLS handshake: a proxy dropping the
       * connections it held, a listener that reads the ClientHello and
       * hangs up */
      {"ssl://127.0.0.1:43903/bootstrap: SSL handshake failed: "
       "Disconnected: connecting to a PLAINTEXT broker listener? (after "
       "528ms in state SSL_HANDSHAKE)",
       KML_FAILURE_TLS_CLOSED},
      {"ssl://127.0.0.1:59111/bootstrap: SSL handshake failed: "
       "error:0A000126:SSL routines::unexpected eof while reading (after 0ms "
       "in state SSL_HANDSHAKE)",
       KML_FAILURE_TLS_CLOSED},
      {"Disconnected (after 600000ms in state UP)", KML_FAILURE_NONE},
      /* PLAINTEXT against a TLS listener (Kafka 3.9, librdkafka 2.0) */
      {"127.0.0.1:42599/bootstrap: Disconnected while requesting ApiVersion: "
       "might be caused by incorrect security.protocol configuration "
       "(connecting to a SSL listener?) or broker version is < 0.10 (see "
       "api.version.request) (after 67ms in state APIVERSION_QUERY)",
       KML_FAILURE_CLOSED},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    kml_failure_kind_t k = kml_failure_classify(0, cases[i].text);
    if (k != cases[i].kind)
      fail_msg("\"%s\": kind %d, expected %d", cases[i].text, (int)k,
               (int)cases[i].kind);
  }
}

static void codes_name_their_cause_without_text(void **state) {
  assert_int_equal(kml_failure_classify(RD_KAFKA_RESP_ERR__AUTHENTICATION, ""),
                   KML_FAILURE_AUTH);
  assert_int_equal(
      kml_failure_classify(RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED, NULL),
      KML_FAILURE_AUTH);
  /* the code says authentication, the text says why */
  assert_int_equal(
      kml_failure_classify(RD_KAFKA_RESP_ERR__AUTHENTICATION,
                           "SASL PLAIN mechanism handshake failed: Broker: "
                           "Request not valid in current SASL state"),
      KML_FAILURE_NOT_SASL);
  assert_non_null(
      strstr(kml_failure_kind_str(KML_FAILURE_NOT_SASL), "security.protocol"));
  assert_int_equal(kml_failure_classify(RD_KAFKA_RESP_ERR__SSL, "?"),
                   KML_FAILURE_TLS);
  assert_int_equal(kml_failure_classify(RD_KAFKA_RESP_ERR__TRANSPORT,
                                        "Broker transport failure"),
                   KML_FAILURE_NONE);
  assert_string_not_equal(kml_failure_kind_str(KML_FAILURE_AUTH),
                          kml_failure_kind_str(KML_FAILURE_TLS_UNTRUSTED));
}

static void logged_once_per_change_and_after_quiet_period(void **state) {
  kml_failure_t *f = kml_failure_new();
  char line[512] = "";
  const char *auth = "[thrd:sasl_plaintext://h:1/bootstrap]: "
                     "sasl_plaintext://h:1/bootstrap: SASL authentication "
                     "error: Authentication failed";
  const char *tls = "SSL handshake failed: certificate verify failed";
  assert_int_equal(kml_failure_note(f, 0, auth, 100, 600, line, sizeof(line)),
                   1);
  assert_non_null(strstr(line, "authentication failed"));
  /* the log line's thread prefix is dropped, the rest kept */
  assert_null(strstr(line, "[thrd:"));
  assert_non_null(strstr(line, "sasl_plaintext://h:1/bootstrap: SASL"));
  assert_int_equal(kml_failure_note(f, 0, auth, 110, 600, line, sizeof(line)),
                   0);
  assert_int_equal(kml_failure_note(f, RD_KAFKA_RESP_ERR__AUTHENTICATION,
                                    "Authentication failed", 120, 600, line,
                                    sizeof(line)),
                   0);
  /* unrelated failures neither log nor reset */
  assert_int_equal(
      kml_failure_note(f, 0, "Connection refused", 130, 600, line, 512), 0);
  assert_int_equal(kml_failure_note(f, 0, auth, 140, 600, line, sizeof(line)),
                   0);
  assert_int_equal(kml_failure_note(f, 0, tls, 150, 600, line, sizeof(line)),
                   1);
  assert_non_null(strstr(line, "not trusted"));
  assert_int_equal(kml_failure_note(f, 0, tls, 749, 600, line, sizeof(line)),
                   0);
  assert_int_equal(kml_failure_note(f, 0, tls, 750, 600, line, sizeof(line)),
                   1);
  kml_failure_destroy(f);
}

static void connectivity_remembered_not_logged(void **state) {
  kml_failure_t *f = kml_failure_new();
  char line[512] = "";
  assert_int_equal(kml_failure_last(f, 0), KML_FAILURE_NONE);
  assert_int_equal(kml_failure_note(f, 0, "Failed to resolve 'x:1'", 100, 600,
                                    line, sizeof(line)),
                   0);
  assert_int_equal(kml_failure_last(f, 50), KML_FAILURE_RESOLVE);
  assert_int_equal(kml_failure_last(f, 101), KML_FAILURE_NONE); /* older */
  assert_string_equal(kml_failure_kind_brief(KML_FAILURE_RESOLVE),
                      "cannot resolve the host name");
  /* unclassified texts do not replace the last cause */
  kml_failure_note(f, 0, "Disconnected", 110, 600, line, sizeof(line));
  assert_int_equal(kml_failure_last(f, 50), KML_FAILURE_RESOLVE);
  /* a refused password is logged and becomes the last cause too */
  assert_int_equal(kml_failure_note(f, 0, "SASL authentication error", 120, 600,
                                    line, sizeof(line)),
                   1);
  assert_int_equal(kml_failure_last(f, 50), KML_FAILURE_AUTH);
  assert_int_equal(kml_failure_note(f, 0, "Connection refused", 130, 600, line,
                                    sizeof(line)),
                   0);
  assert_int_equal(kml_failure_last(f, 50), KML_FAILURE_REFUSED);
  /* a connection closed before its first answer: named, never logged */
  assert_int_equal(kml_failure_note(f, 0,
                                    "Disconnected while requesting "
                                    "ApiVersion: might be caused by "
                                    "incorrect security.protocol",
                                    140, 600, line, sizeof(line)),
                   0);
  assert_int_equal(kml_failure_last(f, 50), KML_FAILURE_CLOSED);
  /* a handshake left unanswered: a hung broker, named, never logged */
  assert_int_equal(kml_failure_note(f, 0,
                                    "Connection setup timed out in state "
                                    "SSL_HANDSHAKE (after 2002ms in state "
                                    "SSL_HANDSHAKE)",
                                    150, 600, line, sizeof(line)),
                   0);
  assert_int_equal(kml_failure_last(f, 50), KML_FAILURE_TLS_STALLED);
  assert_non_null(strstr(kml_failure_kind_brief(KML_FAILURE_TLS_STALLED),
                         "connection was accepted"));
  /* and the connection it held closed when the broker came back */
  assert_int_equal(kml_failure_note(f, 0,
                                    "SSL handshake failed: Disconnected: "
                                    "connecting to a PLAINTEXT broker "
                                    "listener? (after 528ms in state "
                                    "SSL_HANDSHAKE)",
                                    160, 600, line, sizeof(line)),
                   0);
  assert_int_equal(kml_failure_last(f, 50), KML_FAILURE_TLS_CLOSED);
  assert_string_equal(kml_failure_kind_brief(KML_FAILURE_NONE), "");
  kml_failure_destroy(f);
}

/* Every kind has both texts, and they differ from the unknown cause's. */
static void every_kind_has_both_texts(void **state) {
  (void)state;
  for (int k = KML_FAILURE_NONE + 1; k < KML_FAILURE_KINDS; k++) {
    assert_string_not_equal(kml_failure_kind_str(k), "no known cause");
    assert_true(strlen(kml_failure_kind_brief(k)) > 0);
  }
  assert_string_equal(kml_failure_kind_str(KML_FAILURE_NONE), "no known cause");
  assert_string_equal(kml_failure_kind_brief(KML_FAILURE_KINDS), "");
}

/* An address of the Brokers list that accepts and then answers nothing is
 * named by its "host:port", once, and again after the quiet period; a
 * learnt broker ("host:port/2"), a connection never accepted and a refusal
 * are not. */
static void stalled_addresses_named_once_each(void **state) {
  (void)state;
  char addr[128], line[480];
  assert_int_equal(kml_failure_stalled_address(
                       0,
                       "[thrd:ssl://10.0.0.1:9093/bootstrap]: "
                       "ssl://10.0.0.1:9093/bootstrap: Connection setup "
                       "timed out in state SSL_HANDSHAKE (after 1500ms in "
                       "state SSL_HANDSHAKE)",
                       addr, sizeof(addr)),
                   1);
  assert_string_equal(addr, "10.0.0.1:9093");
  assert_int_equal(kml_failure_stalled_address(
                       0,
                       "127.0.0.1:56461/bootstrap: Timed out "
                       "ApiVersionRequest in flight (after 1500ms, timeout #0)",
                       addr, sizeof(addr)),
                   1);
  assert_string_equal(addr, "127.0.0.1:56461");
  assert_int_equal(kml_failure_stalled_address(
                       0,
                       "127.0.0.1:40001/2: Timed out MetadataRequest in "
                       "flight (after 1500ms, timeout #0)",
                       addr, sizeof(addr)),
                   0);
  assert_int_equal(kml_failure_stalled_address(
                       0,
                       "10.255.255.1:9092/bootstrap: Connection setup timed "
                       "out in state CONNECT (after 1500ms in state CONNECT)",
                       addr, sizeof(addr)),
                   0);
  assert_int_equal(kml_failure_stalled_address(
                       0,
                       "127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 "
                       "failed: Connection refused",
                       addr, sizeof(addr)),
                   0);
  assert_int_equal(kml_failure_stalled_address(0, NULL, addr, sizeof(addr)), 0);

  kml_failure_t *f = kml_failure_new();
  const char *a = "127.0.0.1:56461/bootstrap: Timed out ApiVersionRequest "
                  "in flight (after 1500ms, timeout #0)";
  const char *b = "127.0.0.1:56462/bootstrap: ApiVersionRequest failed: "
                  "Local: Timed out: probably due to broker version < 0.10";
  assert_int_equal(
      kml_failure_note_stalled(f, 0, a, 100, 3600, line, sizeof(line)), 1);
  assert_non_null(strstr(line, "Brokers address 127.0.0.1:56461: "));
  assert_non_null(strstr(line, "load balancer"));
  /* every reconnect says it again: not logged again */
  assert_int_equal(
      kml_failure_note_stalled(f, 0, a, 110, 3600, line, sizeof(line)), 0);
  assert_int_equal(
      kml_failure_note_stalled(f, 0, b, 120, 3600, line, sizeof(line)), 1);
  assert_non_null(strstr(line, "127.0.0.1:56462"));
  assert_int_equal(
      kml_failure_note_stalled(f, 0, a, 3699, 3600, line, sizeof(line)), 0);
  assert_int_equal(
      kml_failure_note_stalled(f, 0, a, 3700, 3600, line, sizeof(line)), 1);
  /* still remembered for the unreachable notification, never an error */
  assert_int_equal(kml_failure_note(f, 0, a, 3710, 600, line, sizeof(line)), 0);
  assert_int_equal(kml_failure_last(f, 3700), KML_FAILURE_STALLED);
  /* a refusal is no stall */
  assert_int_equal(kml_failure_note_stalled(f, 0,
                                            "127.0.0.1:1/bootstrap: Connect "
                                            "to ipv4#127.0.0.1:1 failed: "
                                            "Connection refused",
                                            3720, 3600, line, sizeof(line)),
                   0);
  kml_failure_destroy(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(texts_name_their_cause),
      cmocka_unit_test(codes_name_their_cause_without_text),
      cmocka_unit_test(logged_once_per_change_and_after_quiet_period),
      cmocka_unit_test(connectivity_remembered_not_logged),
      cmocka_unit_test(every_kind_has_both_texts),
      cmocka_unit_test(stalled_addresses_named_once_each),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
