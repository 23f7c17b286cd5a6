/* filter: include/exclude regular expressions for topic and group names.
 * A name is selected when it matches the include pattern (or there is none)
 * and does not match the exclude pattern. Compiled once, read by many:
 * kml_filter_match is thread-safe, set/free are not. */
#ifndef KML_KAFKA_FILTER_H
#define KML_KAFKA_FILTER_H

#include <regex.h>

typedef struct {
  regex_t include, exclude;
  int has_include, has_exclude;
} kml_filter_t;

/* Set the include (which=0) or exclude (which=1) pattern (POSIX extended).
 * Returns 0, or -1 with a message naming the pattern in err. */
int kml_filter_set(kml_filter_t *f, int which, const char *pattern, char *err,
                   size_t errlen);
/* 1 when name is selected. */
int kml_filter_match(const kml_filter_t *f, const char *name);
/* Free compiled patterns; f itself is the caller's. */
void kml_filter_free(kml_filter_t *f);

#endif
