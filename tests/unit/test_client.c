/* Unit tests for src/kafka/client.c: what kml_client_new says when
 * librdkafka refuses the configuration. No broker is needed: every case
 * fails before a connection is made. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include "kafka/client.h"

#include <string.h>

/* kml_client_new with brokers 127.0.0.1:1 and the given key/value pairs;
 * asserts that it fails and leaves its reason in err. */
static void refused(const char *const *props, size_t n, char *err, size_t len) {
  kml_client_conf_t cc = {
      .name = "t", .brokers = "127.0.0.1:1", .props = props, .n_props = n};
  err[0] = '\0';
  kml_client_t *c = kml_client_new(&cc, err, len);
  if (c != NULL) {
    kml_client_destroy(c);
    fail_msg("the client was created");
  }
  assert_true(err[0] != '\0');
}

static void refused_property_named_never_its_value(void **state) {
  char err[512];
  /* a misspelled secret key: its name no longer looks secret */
  const char *typo[] = {"sasl.passwrd", "hunter3-Secret"};
  refused(typo, 1, err, sizeof(err));
  assert_non_null(strstr(err, "\"sasl.passwrd\""));
  assert_null(strstr(err, "hunter3"));
  /* a bad value librdkafka quotes in its reason */
  const char *bad[] = {"security.protocol", "S3cret-As-Protocol"};
  refused(bad, 1, err, sizeof(err));
  assert_non_null(strstr(err, "\"security.protocol\""));
  assert_null(strstr(err, "S3cret"));
  /* a reason without the value is kept */
  const char *num[] = {"socket.timeout.ms", "abc-Secret"};
  refused(num, 1, err, sizeof(err));
  assert_non_null(strstr(err, "\"socket.timeout.ms\""));
  assert_null(strstr(err, "abc-Secret"));
}

static void sasl_without_mechanism_says_gssapi(void **state) {
  char err[512];
  const char *props[] = {"security.protocol", "SASL_SSL",      "sasl.username",
                         "monitor",           "sasl.password", "pw-Secret"};
  refused(props, 3, err, sizeof(err));
  assert_non_null(strstr(err, "sasl.mechanisms is not set"));
  assert_non_null(strstr(err, "GSSAPI (Kerberos)"));
  assert_non_null(strstr(err, "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512"));
  assert_null(strstr(err, "pw-Secret"));
  /* with a mechanism the client is made */
  const char *good[] = {
      "security.protocol", "sasl_plaintext", "sasl.mechanisms", "PLAIN",
      "sasl.username",     "monitor",        "sasl.password",   "pw"};
  kml_client_conf_t cc = {
      .name = "t", .brokers = "127.0.0.1:1", .props = good, .n_props = 4};
  kml_client_t *c = kml_client_new(&cc, err, sizeof(err));
  if (c == NULL)
    fail_msg("not created: %s", err);
  kml_client_destroy(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(refused_property_named_never_its_value),
      cmocka_unit_test(sasl_without_mechanism_says_gssapi),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
