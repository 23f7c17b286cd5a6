/* types_known.h: which of a plugin's value types collectd does not know.
 *
 * collectd knows a type only from a TypesDB file listed in collectd.conf;
 * a TypesDB line replaces the default list, so a plugin's own types.db is
 * easily left out and every value it dispatches is then refused with its
 * own "Dataset not found" line. Each plugin checks its types once at init
 * and says in one error which file to add. Include after collectd's
 * headers (static inline, no state). */
#ifndef KML_PLUGIN_TYPES_KNOWN_H
#define KML_PLUGIN_TYPES_KNOWN_H

#include <stddef.h>

/* The first of the n types that collectd does not know, or NULL when it
 * knows them all. */
static inline const char *first_unknown_type(const char *const *types,
                                             size_t n) {
  for (size_t i = 0; i < n; i++)
    if (plugin_get_ds(types[i]) == NULL)
      return types[i];
  return NULL;
}

#endif
