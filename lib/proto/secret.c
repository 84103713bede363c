/* SPDX-License-Identifier: BSD-3-Clause */
/* A secret as an attribute: that it was there and a short hash to
 * correlate it, never its bytes (DESIGN.md, Outputs). */
#include "proto-internal.h"

void
pl_attrs_secret(struct pl_attrs *a, const char *key, const void *p,
		size_t len)
{
	char h[9];
	pl_secret_hash(p, len, h);
	pl_attrs_object(a, key);
	pl_attrs_bool(a, "present", true);
	pl_attrs_cstr(a, "hash", h);
	pl_attrs_end(a);
}
