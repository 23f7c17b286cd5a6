/* schema: classify a record value as Confluent wire format (schema id),
 * JSON (fingerprint of its field set) or neither (see schema.h). The JSON
 * reader is a bounded recursive descent over the bytes: it checks the
 * whole grammar (a record that merely starts like JSON is not JSON) and
 * records "path:kind" for the keys of objects down to KML_SCHEMA_DEPTH
 * levels; arrays and deeper objects are checked but not described. */
#include "schema.h"

#include "../kml_hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const unsigned char *p, *end;
  kml_schema_t *out;
  int bad;
} js_t;

static const char *const kind_names[] = {"string", "number", "bool",
                                         "null",   "object", "array"};

const char *kml_json_kind_name(kml_json_kind_t k) {
  return k >= KML_JSON_STRING && k <= KML_JSON_ARRAY ? kind_names[k] : "?";
}

static void ws(js_t *j) {
  while (j->p < j->end &&
         (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
    j->p++;
}

static int fail(js_t *j) {
  j->bad = 1;
  return -1;
}

static int is_hex(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

/* A string at j->p ('"'); its raw bytes (escapes as written) into buf
 * when buf is not NULL (cut at len - 1). */
static int string(js_t *j, char *buf, size_t len) {
  size_t n = 0;
  j->p++; /* the opening quote */
  while (j->p < j->end) {
    unsigned char c = *j->p++;
    if (c == '"') {
      if (buf != NULL)
        buf[n < len ? n : len - 1] = '\0';
      return 0;
    }
    if (c < 0x20)
      return fail(j);
    if (buf != NULL && n + 1 < len)
      buf[n++] = (char)c;
    if (c != '\\')
      continue;
    if (j->p >= j->end)
      return fail(j);
    c = *j->p++;
    if (buf != NULL && n + 1 < len)
      buf[n++] = (char)c;
    if (c == 'u') {
      if (j->end - j->p < 4 || !is_hex(j->p[0]) || !is_hex(j->p[1]) ||
          !is_hex(j->p[2]) || !is_hex(j->p[3]))
        return fail(j);
      j->p += 4;
    } else if (!strchr("\"\\/bfnrt", c) || c == '\0') {
      return fail(j);
    }
  }
  return fail(j);
}

static int digits(js_t *j) {
  const unsigned char *s = j->p;
  while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
    j->p++;
  return j->p > s ? 0 : fail(j);
}

static int number(js_t *j) {
  if (*j->p == '-')
    j->p++;
  if (j->p < j->end && *j->p == '0')
    j->p++;
  else if (digits(j) != 0)
    return -1;
  if (j->p < j->end && *j->p == '.') {
    j->p++;
    if (digits(j) != 0)
      return -1;
  }
  if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
    j->p++;
    if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
      j->p++;
    if (digits(j) != 0)
      return -1;
  }
  return 0;
}

static int literal(js_t *j, const char *word) {
  size_t n = strlen(word);
  if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
    return fail(j);
  j->p += n;
  return 0;
}

static void add_field(js_t *j, const char *path, kml_json_kind_t kind) {
  kml_schema_t *o = j->out;
  if (o->n_fields == KML_SCHEMA_FIELDS) {
    o->more = 1;
    return;
  }
  kml_schema_field_t *f = &o->fields[o->n_fields++];
  snprintf(f->path, sizeof(f->path), "%s", path);
  f->kind = kind;
}

static int value(js_t *j, const char *path, int depth, int nest,
                 kml_json_kind_t *kind);

/* "path.key" (or "key" at the top) into out, cut to fit. */
static void join(char *out, size_t len, const char *path, const char *key) {
  size_t n = 0;
  for (const char *p = path; *p && n + 1 < len; p++)
    out[n++] = *p;
  if (path[0] != '\0' && n + 1 < len)
    out[n++] = '.';
  for (const char *p = key; *p && n + 1 < len; p++)
    out[n++] = *p;
  out[n] = '\0';
}

/* An object; its members are described when depth < KML_SCHEMA_DEPTH. */
static int object(js_t *j, const char *path, int depth, int nest) {
  j->p++; /* '{' */
  ws(j);
  if (j->p < j->end && *j->p == '}') {
    j->p++;
    return 0;
  }
  for (;;) {
    ws(j);
    if (j->p >= j->end || *j->p != '"')
      return fail(j);
    char key[KML_SCHEMA_NAME + 1], child[KML_SCHEMA_NAME + 1];
    if (string(j, key, sizeof(key)) != 0)
      return -1;
    ws(j);
    if (j->p >= j->end || *j->p++ != ':')
      return fail(j);
    int describe = depth < KML_SCHEMA_DEPTH;
    if (describe)
      join(child, sizeof(child), path, key);
    kml_json_kind_t k;
    if (value(j, describe ? child : path, describe ? depth + 1 : depth,
              nest + 1, &k) != 0)
      return -1;
    if (describe)
      add_field(j, child, k);
    ws(j);
    if (j->p >= j->end)
      return fail(j);
    if (*j->p == '}') {
      j->p++;
      return 0;
    }
    if (*j->p++ != ',')
      return fail(j);
  }
}

/* An array; its elements are checked, not described, except the first
 * element of a document that is an array (records batched in one array,
 * as collectd's JSON format writes them): "[].key". */
static int array(js_t *j, int nest, int describe_first) {
  j->p++; /* '[' */
  ws(j);
  if (j->p < j->end && *j->p == ']') {
    j->p++;
    return 0;
  }
  for (int i = 0;; i++) {
    kml_json_kind_t k;
    int describe = describe_first && i == 0;
    if (value(j, describe ? "[]" : "", describe ? 1 : KML_SCHEMA_DEPTH,
              nest + 1, &k) != 0)
      return -1;
    if (describe)
      add_field(j, "[]", k);
    ws(j);
    if (j->p >= j->end)
      return fail(j);
    if (*j->p == ']') {
      j->p++;
      return 0;
    }
    if (*j->p++ != ',')
      return fail(j);
  }
}

static int value(js_t *j, const char *path, int depth, int nest,
                 kml_json_kind_t *kind) {
  if (nest > KML_SCHEMA_NEST)
    return fail(j);
  ws(j);
  if (j->p >= j->end)
    return fail(j);
  switch (*j->p) {
  case '{':
    *kind = KML_JSON_OBJECT;
    return object(j, path, depth, nest);
  case '[':
    *kind = KML_JSON_ARRAY;
    return array(j, nest, nest == 0);
  case '"':
    *kind = KML_JSON_STRING;
    return string(j, NULL, 0);
  case 't':
    *kind = KML_JSON_BOOL;
    return literal(j, "true");
  case 'f':
    *kind = KML_JSON_BOOL;
    return literal(j, "false");
  case 'n':
    *kind = KML_JSON_NULL;
    return literal(j, "null");
  default:
    if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9')) {
      *kind = KML_JSON_NUMBER;
      return number(j);
    }
    return fail(j);
  }
}

static int field_cmp(const void *a, const void *b) {
  const kml_schema_field_t *x = a, *y = b;
  int c = strcmp(x->path, y->path);
  return c ? c : (int)x->kind - (int)y->kind;
}

static kml_schema_kind_t json(const unsigned char *p, size_t len,
                              kml_schema_t *out) {
  js_t j = {.p = p, .end = p + len, .out = out};
  kml_json_kind_t top;
  if (value(&j, "", 0, 0, &top) != 0)
    return KML_SCHEMA_OTHER;
  ws(&j);
  if (j.p != j.end)
    return KML_SCHEMA_OTHER;
  if (top != KML_JSON_OBJECT)
    add_field(&j, "$", top);
  qsort(out->fields, out->n_fields, sizeof(out->fields[0]), field_cmp);
  int n = 0; /* duplicate keys describe one field */
  for (int i = 0; i < out->n_fields; i++)
    if (n == 0 || field_cmp(&out->fields[n - 1], &out->fields[i]) != 0)
      out->fields[n++] = out->fields[i];
  out->n_fields = n;
  uint64_t h = KML_HASH_INIT;
  for (int i = 0; i < n; i++) {
    h = kml_hash_update(h, out->fields[i].path, strlen(out->fields[i].path));
    unsigned char k[2] = {0, (unsigned char)out->fields[i].kind};
    h = kml_hash_update(h, k, 2);
  }
  h = kml_hash_update(h, out->more ? "+" : "", out->more ? 1 : 0);
  out->fingerprint = kml_hash_final(h);
  return KML_SCHEMA_JSON;
}

kml_schema_kind_t kml_schema_classify(const void *value, size_t len,
                                      kml_schema_t *out) {
  const unsigned char *p = value;
  out->kind = KML_SCHEMA_OTHER;
  out->id = 0;
  out->fingerprint = 0;
  out->n_fields = 0;
  out->more = 0;
  if (p == NULL || len == 0)
    return out->kind = KML_SCHEMA_EMPTY;
  if (p[0] == 0) {
    if (len < 5)
      return out->kind;
    out->id = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 |
              (uint32_t)p[3] << 8 | p[4];
    return out->kind = KML_SCHEMA_WIRE;
  }
  out->kind = json(p, len, out);
  if (out->kind != KML_SCHEMA_JSON)
    out->n_fields = out->more = 0;
  return out->kind;
}

/* Append "+path:kind" to out at *used, or "..." once it no longer fits. */
static void put_field(char *out, size_t len, size_t *used, char sign,
                      const kml_schema_field_t *f, int *cut) {
  char item[KML_SCHEMA_NAME + 16];
  int n = snprintf(item, sizeof(item), "%s%c%s:%s", *used ? " " : "", sign,
                   f->path, kml_json_kind_name(f->kind));
  if (*cut || *used + (size_t)n + 4 >= len) {
    if (!*cut && *used + 4 < len) {
      memcpy(out + *used, " ...", 5);
      *used += 4;
    }
    *cut = 1;
    return;
  }
  memcpy(out + *used, item, (size_t)n + 1);
  *used += (size_t)n;
}

int kml_schema_diff(const kml_schema_t *a, const kml_schema_t *b, char *out,
                    size_t len) {
  size_t used = 0;
  int cut = 0, diffs = 0, i = 0, k = 0;
  if (len == 0)
    return 0;
  out[0] = '\0';
  /* both sorted: one merge; added fields first, then removed ones */
  for (int pass = 0; pass < 2; pass++)
    for (i = 0, k = 0; i < a->n_fields || k < b->n_fields;) {
      int c = i == a->n_fields   ? 1
              : k == b->n_fields ? -1
                                 : field_cmp(&a->fields[i], &b->fields[k]);
      if (c == 0) {
        i++;
        k++;
      } else if (c > 0) { /* in b only: added */
        if (pass == 0) {
          put_field(out, len, &used, '+', &b->fields[k], &cut);
          diffs++;
        }
        k++;
      } else { /* in a only: removed */
        if (pass == 1) {
          put_field(out, len, &used, '-', &a->fields[i], &cut);
          diffs++;
        }
        i++;
      }
    }
  return diffs;
}
