/* saver: see saver.h. One thread, one condition variable: `wanted` is set
 * by requests and cleared by the thread when it starts a save, so requests
 * that arrive during a save give exactly one more. */
#include "saver.h"
#include "../kml_clock.h"
#include "persist.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct kml_saver {
  kml_store_t *store;
  size_t payload_size;
  char *path;
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  int wanted, stop;
  int have_result; /* a result not yet taken by kml_saver_result */
  long count;
  double seconds;
  char err[512];
};

static void *saver_main(void *arg) {
  kml_saver_t *sv = arg;
  pthread_mutex_lock(&sv->lock);
  for (;;) {
    while (!sv->wanted && !sv->stop)
      pthread_cond_wait(&sv->cond, &sv->lock);
    if (sv->stop)
      break;
    sv->wanted = 0;
    pthread_mutex_unlock(&sv->lock);
    char err[512] = "";
    double t0 = kml_clock_mono();
    long n = kml_persist_save(sv->store, sv->payload_size, sv->path, err,
                              sizeof(err));
    double dt = kml_clock_mono() - t0;
    pthread_mutex_lock(&sv->lock);
    sv->count = n;
    sv->seconds = dt;
    memcpy(sv->err, err, sizeof(err));
    sv->have_result = 1;
  }
  pthread_mutex_unlock(&sv->lock);
  return NULL;
}

kml_saver_t *kml_saver_new(kml_store_t *s, size_t payload_size,
                           const char *path) {
  kml_saver_t *sv = calloc(1, sizeof(*sv));
  if (sv == NULL || (sv->path = strdup(path)) == NULL) {
    free(sv);
    return NULL;
  }
  sv->store = s;
  sv->payload_size = payload_size;
  pthread_mutex_init(&sv->lock, NULL);
  pthread_cond_init(&sv->cond, NULL);
  if (pthread_create(&sv->thread, NULL, saver_main, sv) != 0) {
    pthread_cond_destroy(&sv->cond);
    pthread_mutex_destroy(&sv->lock);
    free(sv->path);
    free(sv);
    return NULL;
  }
  return sv;
}

void kml_saver_destroy(kml_saver_t *sv) {
  if (sv == NULL)
    return;
  pthread_mutex_lock(&sv->lock);
  sv->stop = 1;
  pthread_cond_signal(&sv->cond);
  pthread_mutex_unlock(&sv->lock);
  pthread_join(sv->thread, NULL);
  pthread_cond_destroy(&sv->cond);
  pthread_mutex_destroy(&sv->lock);
  free(sv->path);
  free(sv);
}

void kml_saver_request(kml_saver_t *sv) {
  pthread_mutex_lock(&sv->lock);
  sv->wanted = 1;
  pthread_cond_signal(&sv->cond);
  pthread_mutex_unlock(&sv->lock);
}

int kml_saver_result(kml_saver_t *sv, long *count, double *seconds, char *err,
                     size_t errlen) {
  pthread_mutex_lock(&sv->lock);
  int have = sv->have_result;
  if (have) {
    *count = sv->count;
    *seconds = sv->seconds;
    snprintf(err, errlen, "%s", sv->err);
    sv->have_result = 0;
  }
  pthread_mutex_unlock(&sv->lock);
  return have;
}
