/* libFuzzer harness: the CSV reader of kafka-ml (src/cli/series_csv.c).
 * Any bytes either parse into a series whose times are finite and in order
 * and whose values are finite or NaN, or are refused with "NAME:LINE: ...".
 * The first byte chooses --strict, the value column name, and (bit 4) the
 * parser of `rrdtool dump` output instead (src/cli/series_rrd.c). */
#include "cli/series_csv.h"
#include "cli/series_rrd.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  kml_csv_opts_t o = {.strict = data[0] & 1,
                      .column = (data[0] & 2) ? "rx" : NULL};
  kml_csv_series_t s;
  char err[512];
  int rc = (data[0] & 4)
               ? kml_rrd_parse("fuzz.csv", (const char *)data + 1, size - 1,
                               o.column, &s, err, sizeof(err))
               : kml_csv_parse("fuzz.csv", (const char *)data + 1, size - 1, &o,
                               &s, err, sizeof(err));
  if (rc == 0) {
    if (s.n == 0)
      abort();
    for (size_t i = 0; i < s.n; i++) {
      if (!isfinite(s.t[i]) || s.t[i] < 0 || isinf(s.x[i]) ||
          s.stamp[i] == NULL)
        abort();
      if (i > 0 && s.t[i] < s.t[i - 1])
        abort(); /* sorted */
      if ((o.strict || (data[0] & 4)) && i > 0 && !(s.t[i] > s.t[i - 1]))
        abort();
    }
  } else if (strncmp(err, "fuzz.csv:", 9) != 0 ||
             strlen(err) >= sizeof(err) - 1) {
    abort(); /* every refusal names the file and line, untruncated */
  }
  kml_csv_free(&s);
  return 0;
}
