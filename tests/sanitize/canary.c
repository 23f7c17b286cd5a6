/* A collectd plugin with one deliberate heap overflow in its init
 * callback. tests/sanitize/run loads it into a real collectd with the ASan
 * runtime preloaded and expects exactly one report naming this file: proof
 * that a bug in a plugin is seen by the sanitizer run (collectd itself is
 * not instrumented). Never installed. */
#include "collectd/core/daemon/collectd.h"
#include "collectd/core/daemon/plugin.h"

static int canary_init(void) {
  volatile char *p = malloc(8);
  if (p == NULL)
    return -1;
  p[8] = 'x'; /* one past the end */
  free((void *)p);
  return 0;
}

void module_register(void) { plugin_register_init("canary", canary_init); }
