/* SPDX-License-Identifier: BSD-3-Clause */
/* The dissectors' bounded JSON writer: output always parses (jansson),
 * escapes any byte, and a full buffer truncates cleanly. */
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "proto.h"

static json_t *
parse(const char *s)
{
	json_error_t e;
	json_t *j = json_loads(s, JSON_ALLOW_NUL, &e);
	cr_assert_not_null(j, "not JSON: %s (%s)", s, e.text);
	return j;
}

Test(attrs, members_nesting_and_escapes)
{
	char buf[512];
	struct pl_attrs a;
	const uint8_t raw[] = {'a', '"', '\\', 0x00, 0x1f, 0x7f, 0xff, 'z'};
	const uint8_t bytes[] = {0x13, 0x01, 0xc0, 0x2b};
	pl_attrs_init(&a, buf, sizeof(buf));
	pl_attrs_cstr(&a, "sni", "example.com");
	pl_attrs_uint(&a, "version", 771);
	pl_attrs_bool(&a, "malformed", false);
	pl_attrs_hex(&a, "suites", bytes, sizeof(bytes));
	pl_attrs_str(&a, "raw", raw, sizeof(raw));
	pl_attrs_array(&a, "alpn");
	pl_attrs_cstr(&a, NULL, "h2");
	pl_attrs_cstr(&a, NULL, "http/1.1");
	pl_attrs_end(&a);
	pl_attrs_object(&a, "hello");
	pl_attrs_uint(&a, "n", 0);
	uint32_t n = pl_attrs_finish(&a);
	cr_assert_eq(n, strlen(buf));
	cr_assert(!a.truncated);
	json_t *j = parse(buf);
	cr_assert_str_eq(json_string_value(json_object_get(j, "sni")), "example.com");
	cr_assert_eq(json_integer_value(json_object_get(j, "version")), 771);
	cr_assert(json_is_false(json_object_get(j, "malformed")));
	cr_assert_str_eq(json_string_value(json_object_get(j, "suites")), "1301c02b");
	size_t rl = json_string_length(json_object_get(j, "raw"));
	cr_assert_eq(rl, 9, "0x7f and 0xff become U+007F and U+00FF (2 UTF-8 bytes)");
	cr_assert_eq(json_array_size(json_object_get(j, "alpn")), 2);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "hello"), "n")), 0);
	json_decref(j);
}

Test(attrs, every_buffer_size_gives_valid_json)
{
	for (uint32_t cap = 64; cap < 400; cap++) {
		char buf[400];
		struct pl_attrs a;
		pl_attrs_init(&a, buf, cap);
		for (int i = 0; i < 20; i++) {
			pl_attrs_array(&a, "list");
			pl_attrs_cstr(&a, NULL, "a \"quoted\" value\n");
			pl_attrs_object(&a, NULL);
			pl_attrs_uint(&a, "i", (uint64_t)i);
			pl_attrs_end(&a);
			pl_attrs_end(&a);
		}
		uint32_t n = pl_attrs_finish(&a);
		cr_assert_lt(n, cap, "cap %u: %u bytes written", cap, n);
		cr_assert(a.truncated, "cap %u should be too small", cap);
		json_decref(parse(buf));
	}
}
