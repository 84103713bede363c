/* SPDX-License-Identifier: BSD-3-Clause */
/* The DHCP dissector on arbitrary bytes (a UDP datagram). The input is copied to a
 * buffer of exactly its size so that any over-read is caught, and the
 * output is checked to be well-formed JSON (strings closed, brackets
 * balanced) both with ample room and with a small attribute buffer. */
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Strings closed and brackets balanced: what a broken writer would miss. */
static void
check_json(const char *s, uint32_t len, uint32_t cap)
{
	char stack[64];
	int depth = 0;
	bool in_str = false;
	if (len >= cap || strlen(s) != len || s[0] != '{')
		abort();
	for (uint32_t i = 0; i < len; i++) {
		char c = s[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			else if ((unsigned char)c < 0x20)
				abort(); /* control bytes must be escaped */
			continue;
		}
		if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			if (depth == (int)sizeof(stack))
				abort();
			stack[depth++] = c == '{' ? '}' : ']';
		} else if (c == '}' || c == ']') {
			if (depth == 0 || stack[--depth] != c)
				abort();
		}
	}
	if (in_str || depth != 0)
		abort();
}

static void
one(enum pl_dissect_result (*fn)(const uint8_t *, size_t, struct pl_attrs *),
    const uint8_t *p, size_t n, char *buf, uint32_t cap)
{
	struct pl_attrs a;
	pl_attrs_init(&a, buf, cap);
	enum pl_dissect_result r = fn(p, n, &a);
	uint32_t len = pl_attrs_finish(&a);
	check_json(buf, len, cap);
	if (r == PL_DISSECT_NOT_MINE && len != 2)
		abort(); /* "not mine" writes nothing */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char big[64 * 1024], small[256];
	if (size > 65535)
		return 0;
	uint8_t *copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	const uint8_t *p = size ? copy : copy + 1;
	one(pl_dhcp_dissect, p, size, big, sizeof(big));
	one(pl_dhcp_dissect, p, size, small, sizeof(small));
	free(copy);
	return 0;
}
