/* shadow: an exact, partial test of one <Match> block hiding another. It
 * compares regex texts rather than languages: two different texts may
 * accept the same strings ("^a" and "^a.*"), and deciding that needs
 * automata this check does without, so it only says "shadowed" when it is
 * certain. */
#include "shadow.h"

#include <string.h>

/* Regexes that accept every string, the empty one included. */
static int accepts_all(const char *re) {
  static const char *const all[] = {"", ".*", "^", "$", "^.*", ".*$", "^.*$"};
  for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
    if (strcmp(re, all[i]) == 0)
      return 1;
  return 0;
}

int kml_shadow_covers(const kml_shadow_sel_t *earlier,
                      const kml_shadow_sel_t *later) {
  for (int f = 0; f < KML_SHADOW_FIELDS; f++) {
    const char *a = earlier->re[f], *b = later->re[f];
    if (a == NULL || accepts_all(a))
      continue;
    if (b == NULL || strcmp(a, b) != 0)
      return 0;
  }
  return 1;
}
