/* Writes seed inputs for fuzz_state (flags byte 1, then framed records of
 * real models: key length byte, key, model bytes) into DIR. Built and run
 * by tests/fuzz/run when DIR has no seeds, because a model's bytes depend
 * on its version. */
#include "ml/model.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc != 2)
    return 2;
  static const char *const names[] = {"flat", "daily", "spike"};
  for (int k = 0; k < 3; k++) {
    kml_model_t m;
    kml_model_init(&m);
    kml_model_cfg_t cfg = kml_model_defaults();
    cfg.threshold = 100;
    cfg.want_forecast = 1;
    kml_output_t o;
    for (int i = 0; i < 3000; i++) {
      double x = k == 0 ? 5 : 50 + 20 * sin(i * 2 * M_PI / 288);
      if (k == 2 && i == 2500)
        x = 1e6;
      kml_model_update(&m, &cfg, KML_DS_GAUGE, 1.7e9 + 300.0 * i, x, &o);
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", argv[1], names[k]);
    FILE *f = fopen(path, "wb");
    if (f == NULL)
      return 1;
    unsigned char flags = 1, kl = (unsigned char)(strlen(names[k]) - 1);
    fwrite(&flags, 1, 1, f);
    fwrite(&kl, 1, 1, f);
    fwrite(names[k], 1, strlen(names[k]), f);
    fwrite(&m, 1, sizeof(m), f);
    fclose(f);
  }
  return 0;
}
