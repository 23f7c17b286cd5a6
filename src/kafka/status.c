/* status: see status.h. */
#include "status.h"

static const char *const names[] = {"OK",   "WARN",   "STALL",
                                    "STOP", "REWIND", "ERR"};

const char *kml_status_name(kml_status_t s) {
  return s >= KML_STATUS_OK && s <= KML_STATUS_ERR ? names[s] : "?";
}

kml_status_t kml_status_update(kml_status_window_t *w, int64_t committed,
                               int64_t lag, int has_members, int window) {
  if (committed < 0 || lag < 0)
    return KML_STATUS_ERR;
  if (window < 2)
    window = 2;
  if (window > KML_STATUS_WINDOW)
    window = KML_STATUS_WINDOW;
  int prev = (w->head + KML_STATUS_WINDOW - 1) % KML_STATUS_WINDOW;
  int rewound = w->n > 0 && committed < w->committed[prev];
  w->committed[w->head] = committed;
  w->lag[w->head] = lag;
  w->head = (w->head + 1) % KML_STATUS_WINDOW;
  if (w->n < KML_STATUS_WINDOW)
    w->n++;
  if (rewound)
    return KML_STATUS_REWIND;
  if (lag == 0)
    return KML_STATUS_OK;
  if (w->n < window)
    return KML_STATUS_OK;
  /* Walk the last `window` observations, oldest first. */
  int start = (w->head + KML_STATUS_WINDOW - window) % KML_STATUS_WINDOW;
  int moved = 0, grew = 1, zero_lag = 0;
  for (int k = 1; k < window; k++) {
    int a = (start + k - 1) % KML_STATUS_WINDOW;
    int b = (start + k) % KML_STATUS_WINDOW;
    moved |= w->committed[b] != w->committed[a];
    grew &= w->lag[b] >= w->lag[a];
  }
  for (int k = 0; k < window; k++)
    zero_lag |= w->lag[(start + k) % KML_STATUS_WINDOW] == 0;
  if (!moved && !zero_lag)
    return has_members ? KML_STATUS_STALL : KML_STATUS_STOP;
  int first = start, last = (start + window - 1) % KML_STATUS_WINDOW;
  if (moved && grew && !zero_lag && w->lag[last] > w->lag[first])
    return KML_STATUS_WARN;
  return KML_STATUS_OK;
}
