/* filter: POSIX extended regexes, the same dialect collectd's own match_regex
 * uses, so patterns behave like everywhere else in collectd.conf. */
#include "filter.h"

#include <stdio.h>

int kml_filter_set(kml_filter_t *f, int which, const char *pattern, char *err,
                   size_t errlen) {
  regex_t *re = which ? &f->exclude : &f->include;
  int *has = which ? &f->has_exclude : &f->has_include;
  if (*has) {
    regfree(re);
    *has = 0;
  }
  int rc = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);
  if (rc != 0) {
    char why[128];
    regerror(rc, re, why, sizeof(why));
    snprintf(err, errlen, "invalid regular expression \"%s\": %s", pattern,
             why);
    return -1;
  }
  *has = 1;
  return 0;
}

int kml_filter_match(const kml_filter_t *f, const char *name) {
  if (f->has_include && regexec(&f->include, name, 0, NULL, 0) != 0)
    return 0;
  if (f->has_exclude && regexec(&f->exclude, name, 0, NULL, 0) == 0)
    return 0;
  return 1;
}

void kml_filter_free(kml_filter_t *f) {
  if (f->has_include)
    regfree(&f->include);
  if (f->has_exclude)
    regfree(&f->exclude);
  f->has_include = f->has_exclude = 0;
}
