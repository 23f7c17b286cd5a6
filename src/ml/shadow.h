/* shadow: is a <Match> block of the ml plugin never reached?
 *
 * The plugin hands a value list to the first <Match> whose selectors (one
 * regex per identifier field, or none) all accept it. A later block is
 * shadowed when an earlier one accepts every value list it would: it never
 * models anything, typically because `kafka-ml tune` output was included
 * after the shipped ml.conf. Regex containment is not decided here; only
 * what is exact: the earlier block covers the later one when, field by
 * field, the earlier has no selector (or one that accepts every string:
 * "", ".*", "^.*$", ...) or the very same regex text as the later one. A
 * "no" may therefore be a shadow this check cannot prove, never the
 * reverse. Pure functions; the selectors are borrowed. */
#ifndef KML_ML_SHADOW_H
#define KML_ML_SHADOW_H

#define KML_SHADOW_FIELDS 5 /* host, plugin, plugin instance, type, ti */

typedef struct {
  const char *re[KML_SHADOW_FIELDS]; /* regex text, NULL: no selector */
} kml_shadow_sel_t;

/* 1 when every value list later accepts is accepted by earlier, as far as
 * can be decided exactly (above); 0 otherwise. */
int kml_shadow_covers(const kml_shadow_sel_t *earlier,
                      const kml_shadow_sel_t *later);

#endif
