/* partlist: the partitions a notification names.
 *
 * An operator paged for "2 partition(s) offline" or "group g lost 40
 * message(s)" needs to know which partitions, but a notification message
 * holds 256 bytes. A list counts every partition added, keeps the names
 * ("<topic>-<partition>", as in type_instance) of the first ones that fit
 * its buffers and the distinct topics of every partition added (while
 * they fit: a topic is listed even when none of its names is kept),
 * and prints the first few
 * names into a message with "and N more", never cutting a name in two.
 *
 * A list belongs to one pass of one collection: one owner, not
 * thread-safe, no allocation. */
#ifndef KML_KAFKA_PARTLIST_H
#define KML_KAFKA_PARTLIST_H

#include <stddef.h>
#include <stdint.h>

#define KML_PARTLIST_KEEP 32 /* names kept at most */

typedef struct {
  int total;                   /* partitions added */
  int n_kept;                  /* names kept in names */
  char names[600];             /* "t-1, t-2, u-0": the first that fit */
  int ends[KML_PARTLIST_KEEP]; /* where the i-th kept name ends */
  char topics[300];            /* distinct topics of all added, "t, u" */
} kml_partlist_t;

/* Empty the list. */
void kml_partlist_clear(kml_partlist_t *l);
/* Count partition p of topic, and keep its name while there is room. */
void kml_partlist_add(kml_partlist_t *l, const char *topic, int32_t p);
/* Print the first max_shown names into out (len bytes, always
 * NUL-terminated), then " and N more" for the others: only whole names,
 * as many as fit. A first name longer than len is cut and ends with "...".
 * Returns the number of names printed in whole. Pure. */
int kml_partlist_print(const kml_partlist_t *l, char *out, size_t len,
                       int max_shown);

#endif
