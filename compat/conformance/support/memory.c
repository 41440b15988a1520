/* libevent's mm_malloc() family (mm-internal.h), which the tests call
 * directly. It allocates with the C library: eddy keeps the functions of
 * event_set_mem_functions() to itself, and nothing the tests allocate here
 * is freed by eddy or the other way round. The edge cases are the ones
 * util/mm_* check: size 0 gives NULL with errno untouched, an overflowing
 * calloc ENOMEM, strdup(NULL) EINVAL. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void* event_mm_malloc_(size_t size);
void* event_mm_calloc_(size_t count, size_t size);
char* event_mm_strdup_(const char* str);
void* event_mm_realloc_(void* p, size_t size);
void event_mm_free_(void* p);

void* event_mm_malloc_(size_t size) {
  return size == 0 ? NULL : malloc(size);
}

void* event_mm_calloc_(size_t count, size_t size) {
  if (count == 0 || size == 0) {
    return NULL;
  }
  if (count > SIZE_MAX / size) {
    errno = ENOMEM;
    return NULL;
  }
  return calloc(count, size);
}

char* event_mm_strdup_(const char* str) {
  if (str == NULL) {
    errno = EINVAL;
    return NULL;
  }
  return strdup(str);
}

void* event_mm_realloc_(void* p, size_t size) {
  return realloc(p, size);
}

void event_mm_free_(void* p) {
  free(p);
}
