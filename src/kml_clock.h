/* kml_clock: the project's one clock. Monotonic time measures durations and
 * deadlines (immune to wall-clock steps); wall time stamps values and
 * notifications (seconds since the epoch, as collectd's cdtime). */
#ifndef KML_CLOCK_H
#define KML_CLOCK_H

/* Monotonic clock in milliseconds (arbitrary origin). Thread-safe. */
double kml_clock_mono_ms(void);
/* Monotonic clock in seconds (arbitrary origin). Thread-safe. */
double kml_clock_mono(void);
/* Wall clock in seconds since the epoch. Thread-safe. */
double kml_clock_wall(void);
/* Milliseconds left until deadline (a kml_clock_mono_ms() value), never
 * below 0. Thread-safe. */
int kml_clock_left_ms(double deadline_ms);

#endif
