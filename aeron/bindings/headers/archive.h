/* Wrapper header for the archive client bindings (aeron_archive.h). Items that come from
   aeronc.h are left to the client bindings and reached through `use super::client::*`. */
#include <stddef.h>
#include "aeron_archive.h"
