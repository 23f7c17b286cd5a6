/* kml_clock: clock_gettime wrappers, so that every duration in the project
 * comes from CLOCK_MONOTONIC and every timestamp from CLOCK_REALTIME, and no
 * module keeps a private copy of either. */
#include "kml_clock.h"

#include <time.h>

double kml_clock_mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

double kml_clock_mono(void) { return kml_clock_mono_ms() / 1e3; }

double kml_clock_wall(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int kml_clock_left_ms(double deadline_ms) {
  double left = deadline_ms - kml_clock_mono_ms();
  return left > 0 ? (int)left : 0;
}
