/* SPDX-License-Identifier: BSD-3-Clause */
/* The dissectors' bounded JSON writer: output always parses (jansson),
 * escapes any byte, and a full buffer truncates cleanly. */
#include <stdint.h>
#include <stdio.h>
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

/* The JSON text the writer gives for a one-member object {"s": bytes}. */
static const char *
str_text(char *buf, size_t cap, const void *s, size_t n)
{
	struct pl_attrs a;
	pl_attrs_init(&a, buf, (uint32_t)cap);
	pl_attrs_str(&a, "s", s, n);
	pl_attrs_finish(&a);
	cr_assert(!a.truncated);
	json_decref(parse(buf)); /* jansson also rejects invalid UTF-8 */
	return buf;
}

#define STR_IS(bytes, json)                                                  \
	do {                                                                 \
		char b_[256];                                                \
		cr_assert_str_eq(str_text(b_, sizeof(b_), bytes,             \
					  sizeof(bytes) - 1),                \
				 "{\"s\":\"" json "\"}");                    \
	} while (0)

Test(attrs, utf8_passes_through)
{
	/* 2, 3 and 4 bytes, at each end of their ranges (Unicode table 3-7) */
	STR_IS("h\xc3\xa9llo", "h\xc3\xa9llo");
	STR_IS("\xc2\x80\xdf\xbf", "\xc2\x80\xdf\xbf");
	STR_IS("\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf",
	       "\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf");
	STR_IS("\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac");
	STR_IS("\xf0\x90\x80\x80\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf",
	       "\xf0\x90\x80\x80\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf");
	/* with escapes around */
	STR_IS("\"\xc2\xaf\\_(\xe3\x83\x84)_/\xc2\xaf\"",
	       "\\\"\xc2\xaf\\\\_(\xe3\x83\x84)_/\xc2\xaf\\\"");

	char buf[128];
	struct pl_attrs a;
	pl_attrs_init(&a, buf, sizeof(buf));
	pl_attrs_cstr(&a, "cn", "\xc3\xa9t\xc3\xa9");
	pl_attrs_finish(&a);
	json_t *j = parse(buf);
	cr_assert_str_eq(json_string_value(json_object_get(j, "cn")),
			 "\xc3\xa9t\xc3\xa9");
	json_decref(j);
}

Test(attrs, invalid_utf8_is_escaped)
{
	STR_IS("\x80", "\\u0080");                 /* stray continuation */
	STR_IS("a\xbf\xbf" "b", "a\\u00bf\\u00bfb");
	STR_IS("\xc3", "\\u00c3");                 /* cut at the end */
	STR_IS("\xc3" "A", "\\u00c3A");            /* no continuation */
	STR_IS("\xe6\x97", "\\u00e6\\u0097");      /* 3-byte, cut */
	STR_IS("\xf0\x9f\x98", "\\u00f0\\u009f\\u0098");
	STR_IS("\xf0\x9f\x98" "A", "\\u00f0\\u009f\\u0098A");
	STR_IS("\xf5\x80\x80\x80", "\\u00f5\\u0080\\u0080\\u0080");
	STR_IS("\xfe\xff", "\\u00fe\\u00ff");
	STR_IS("\x00\x1f\x7f", "\\u0000\\u001f\\u007f"); /* controls, DEL */
	/* then a well-formed sequence right after: it is kept */
	STR_IS("\xff\xc3\xa9", "\\u00ff\xc3\xa9");
}

Test(attrs, overlong_and_surrogates_are_escaped)
{
	STR_IS("\xc0\xaf", "\\u00c0\\u00af");               /* '/' in 2 */
	STR_IS("\xc1\xbf", "\\u00c1\\u00bf");
	STR_IS("\xe0\x80\xaf", "\\u00e0\\u0080\\u00af");     /* in 3 */
	STR_IS("\xe0\x9f\xbf", "\\u00e0\\u009f\\u00bf");     /* U+07FF in 3 */
	STR_IS("\xf0\x80\x80\xaf", "\\u00f0\\u0080\\u0080\\u00af");
	STR_IS("\xf0\x8f\xbf\xbf", "\\u00f0\\u008f\\u00bf\\u00bf");
	STR_IS("\xed\xa0\x80", "\\u00ed\\u00a0\\u0080");     /* U+D800 */
	STR_IS("\xed\xbf\xbf", "\\u00ed\\u00bf\\u00bf");     /* U+DFFF */
	STR_IS("\xed\xa0\xbd\xed\xb8\x80",                   /* CESU-8 pair */
	       "\\u00ed\\u00a0\\u00bd\\u00ed\\u00b8\\u0080");
	STR_IS("\xf4\x90\x80\x80", "\\u00f4\\u0090\\u0080\\u0080"); /* >10FFFF */
}

/*
 * An independent model of the rule (decode to a code point, then check the
 * shortest form and the ranges) on random strings over the bytes that
 * matter; the writer's text must be exactly the model's.
 */
static size_t
model_escape(const uint8_t *s, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		uint8_t c = s[i];
		size_t k = c < 0x80 ? 1 : c >= 0xc0 && c < 0xe0 ? 2
				   : c >= 0xe0 && c < 0xf0 ? 3
				   : c >= 0xf0 && c < 0xf8 ? 4 : 0;
		uint32_t cp = k == 1 ? c : k == 2 ? c & 0x1f
				  : k == 3 ? c & 0x0f : c & 0x07;
		bool ok = k > 1 && i + k <= n;
		for (size_t m = 1; ok && m < k; m++) {
			ok = (s[i + m] & 0xc0) == 0x80;
			cp = cp << 6 | (s[i + m] & 0x3f);
		}
		static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
		if (ok && (cp < min[k] || cp > 0x10ffff ||
			   (cp >= 0xd800 && cp <= 0xdfff)))
			ok = false;
		if (ok) {
			memcpy(out + o, s + i, k);
			o += k;
			i += k;
		} else if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
			i++;
		} else if (c >= 0x20 && c < 0x7f) {
			out[o++] = (char)c;
			i++;
		} else {
			o += (size_t)sprintf(out + o, "\\u%04x", c);
			i++;
		}
	}
	out[o] = '\0';
	return o;
}

Test(attrs, random_bytes_match_the_model)
{
	static const uint8_t alphabet[] = {
		'a', 'Z', ' ', '"', '\\', 0x00, 0x1f, 0x7f, 0x80, 0x8f, 0x90,
		0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec,
		0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xf8, 0xff};
	/* every byte value at every place of the 8-byte ASCII scan */
	for (unsigned v = 0; v < 256; v++) {
		for (size_t at = 0; at < 17; at++) {
			uint8_t s[17];
			memset(s, 'a', sizeof(s));
			s[at] = (uint8_t)v;
			char want[128], buf[128];
			model_escape(s, sizeof(s), want);
			str_text(buf, sizeof(buf), s, sizeof(s));
			buf[strlen(buf) - 2] = '\0';
			cr_assert_str_eq(buf + 6, want, "byte %02x at %zu", v, at);
		}
	}
	uint32_t seed = 12345;
	for (int t = 0; t < 50000; t++) {
		uint8_t s[64];
		seed = seed * 1103515245 + 12345;
		size_t n = (seed >> 16) % sizeof(s);
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245 + 12345;
			s[i] = alphabet[(seed >> 16) % sizeof(alphabet)];
		}
		char want[512], buf[512];
		model_escape(s, n, want);
		str_text(buf, sizeof(buf), s, n);
		size_t bl = strlen(buf);
		cr_assert(bl >= 8 && strncmp(buf, "{\"s\":\"", 6) == 0);
		buf[bl - 2] = '\0'; /* drop "} */
		cr_assert_str_eq(buf + 6, want, "case %d", t);
	}
}

Test(attrs, integers_at_the_limits)
{
	char buf[512];
	struct pl_attrs a;
	pl_attrs_init(&a, buf, sizeof(buf));
	pl_attrs_int(&a, "min", INT64_MIN);
	pl_attrs_int(&a, "max", INT64_MAX);
	pl_attrs_int(&a, "m1", -1);
	pl_attrs_int(&a, "zero", 0);
	pl_attrs_int(&a, "m10", -10);
	pl_attrs_uint(&a, "umax", UINT64_MAX);
	pl_attrs_uint(&a, "u0", 0);
	pl_attrs_uint(&a, "u9", 9);
	pl_attrs_uint(&a, "u10", 10);
	pl_attrs_uint(&a, "u99", 99);
	pl_attrs_uint(&a, "u100", 100);
	pl_attrs_uint(&a, "u1e19", 10000000000000000000ull);
	pl_attrs_finish(&a);
	cr_assert_str_eq(buf,
		"{\"min\":-9223372036854775808,\"max\":9223372036854775807,"
		"\"m1\":-1,\"zero\":0,\"m10\":-10,"
		"\"umax\":18446744073709551615,\"u0\":0,\"u9\":9,\"u10\":10,"
		"\"u99\":99,\"u100\":100,\"u1e19\":10000000000000000000}");
	json_t *j = json_loads(buf, JSON_DECODE_INT_AS_REAL, NULL);
	cr_assert_not_null(j, "not JSON: %s", buf);
	json_decref(j);
	pl_attrs_init(&a, buf, sizeof(buf));
	pl_attrs_int(&a, "min", INT64_MIN);
	pl_attrs_int(&a, "max", INT64_MAX);
	pl_attrs_finish(&a);
	j = parse(buf);
	cr_assert_eq(json_integer_value(json_object_get(j, "min")), INT64_MIN);
	cr_assert_eq(json_integer_value(json_object_get(j, "max")), INT64_MAX);
	json_decref(j);

	/* every 2-digit step of the formatter */
	for (uint64_t v = 0, i = 0; i < 60; i++, v = v * 3 + 7) {
		char want[32];
		snprintf(want, sizeof(want), "{\"v\":%llu}", (unsigned long long)v);
		pl_attrs_init(&a, buf, sizeof(buf));
		pl_attrs_uint(&a, "v", v);
		pl_attrs_finish(&a);
		cr_assert_str_eq(buf, want);
		snprintf(want, sizeof(want), "{\"v\":-%llu}", (unsigned long long)v);
		if (v > (uint64_t)INT64_MAX)
			break;
		pl_attrs_init(&a, buf, sizeof(buf));
		pl_attrs_int(&a, "v", -(int64_t)v);
		pl_attrs_finish(&a);
		cr_assert_str_eq(buf, v ? want : "{\"v\":0}");
	}
}

/* A member that does not fit is left out whole: a string is never cut
 * inside (an escape or a UTF-8 sequence), and the text stays valid JSON
 * (valid UTF-8 included) at every buffer size. */
Test(attrs, truncation_keeps_valid_json)
{
	static const uint8_t weird[] = "\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80"
				       "\"\\\x01\xff\xed\xa0\x80 plain text";
	static const uint8_t h[] = {0xde, 0xad, 0xbe, 0xef};
	for (uint32_t cap = 64; cap < 600; cap++) {
		char buf[600];
		struct pl_attrs a;
		pl_attrs_init(&a, buf, cap);
		for (int i = 0; i < 8; i++) {
			pl_attrs_object(&a, "o");
			pl_attrs_str(&a, "w", weird, sizeof(weird) - 1);
			pl_attrs_int(&a, "neg", INT64_MIN);
			pl_attrs_array(&a, "l");
			pl_attrs_hex(&a, NULL, h, sizeof(h));
			pl_attrs_uint(&a, NULL, 1234567890123456789ull);
			pl_attrs_bool(&a, NULL, false);
			pl_attrs_end(&a);
			pl_attrs_end(&a);
		}
		uint32_t n = pl_attrs_finish(&a);
		cr_assert_lt(n, cap);
		cr_assert_eq(n, strlen(buf));
		cr_assert(a.truncated, "cap %u should be too small", cap);
		json_t *j = parse(buf);
		/* every string written is whole */
		json_t *o = json_object_get(j, "o");
		const char *w = json_string_value(json_object_get(o, "w"));
		if (w)
			cr_assert_str_eq(w, "\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80"
					    "\"\\\x01\xc3\xbf\xc3\xad\xc2\xa0"
					    "\xc2\x80 plain text");
		json_decref(j);
	}
}
