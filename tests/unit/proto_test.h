/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PL_PROTO_TEST_H
#define PL_PROTO_TEST_H

/* What the dissectors' unit tests share: dissect a copy of exactly n bytes
 * (so ASan sees any over-read), parse the JSON written, read its members
 * with a check of their type. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "proto.h"

#define PL_TEST_UNUSED __attribute__((unused))

static char out[64 * 1024];

/* *r gets the verdict. */
static PL_TEST_UNUSED json_t *
run_with(pl_dissect_fn fn, const void *m, size_t n, enum pl_dissect_result *r)
{
	uint8_t *copy = malloc(n ? n : 1);
	memcpy(copy, m, n);
	struct pl_attrs a;
	pl_attrs_init(&a, out, sizeof(out));
	*r = fn(n ? copy : copy + 1, n, &a); /* n == 0: a pointer to nothing */
	pl_attrs_finish(&a);
	free(copy);
	json_error_t e;
	json_t *j = json_loads(out, 0, &e);
	cr_assert_not_null(j, "not JSON (%s): %s", e.text, out);
	return j;
}

/* Every prefix of a valid message is malformed and says so; the whole is OK. */
static PL_TEST_UNUSED void
every_truncation_with(pl_dissect_fn fn, const void *m, size_t n)
{
	for (size_t k = 0; k <= n; k++) {
		enum pl_dissect_result r;
		json_t *j = run_with(fn, m, k, &r);
		json_t *mal = json_object_get(j, "malformed");
		if (k < n) {
			cr_assert_eq(r, PL_DISSECT_MALFORMED, "prefix %zu/%zu: %s",
				     k, n, out);
			cr_assert(json_is_true(mal), "prefix %zu: %s", k, out);
		} else {
			cr_assert_eq(r, PL_DISSECT_OK, "whole message: %s", out);
			cr_assert_null(mal);
		}
		json_decref(j);
	}
}

static PL_TEST_UNUSED const char *
str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	cr_assert(json_is_string(v), "%s is not a string in %s", k, out);
	return json_string_value(v);
}

static PL_TEST_UNUSED long long
num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	cr_assert(json_is_integer(v), "%s is not an integer in %s", k, out);
	return json_integer_value(v);
}

static PL_TEST_UNUSED bool
flag(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	cr_assert(json_is_boolean(v), "%s is not a boolean in %s", k, out);
	return json_is_true(v);
}

#endif /* PL_PROTO_TEST_H */
