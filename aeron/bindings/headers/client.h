/* Wrapper header for the client bindings: stddef.h first so size_t is defined the same way
   in every translation unit bindgen sees. */
#include <stddef.h>
#include "aeronc.h"
