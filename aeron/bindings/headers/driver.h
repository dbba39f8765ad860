/* Wrapper header for the media driver bindings (aeronmd.h). */
#include <stddef.h>
#include "aeronmd.h"
