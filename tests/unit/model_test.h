/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PL_MODEL_TEST_H
#define PL_MODEL_TEST_H

/* What the model unit tests share. */
#include <string.h>

#include <criterion/criterion.h>

#include "model.h"

/* The index of the model named name; the test fails if there is none. */
static inline int
model_index(const struct pl_model_set *s, const char *name)
{
	for (unsigned i = 0; i < pl_model_count(s); i++)
		if (strcmp(pl_model_name(s, i), name) == 0)
			return (int)i;
	cr_assert_fail("no model %s", name);
	return -1;
}

#endif /* PL_MODEL_TEST_H */
