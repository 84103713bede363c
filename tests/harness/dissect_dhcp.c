/* SPDX-License-Identifier: BSD-3-Clause */
/* dissect_dhcp FILE: the DHCP dissector's attributes of FILE's bytes
 * (one UDP datagram) as one JSON object on stdout, for the
 * differential tests in tests/e2e. The verdict goes to stderr. Exit 0, or
 * 1 when FILE cannot be read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

#define ATTRS_CAP (64 * 1024)

static const char *const verdicts[] = {"ok", "malformed", "not_mine"};

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE\n", argv[0]);
		return 1;
	}
	const char *path = argv[1];
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return 1;
	}
	/* Exactly-sized copy: an over-read shows under ASan. */
	size_t cap = 4096, len = 0;
	uint8_t *buf = malloc(cap);
	size_t n;
	while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap)
			buf = realloc(buf, cap *= 2);
	}
	if (!buf || ferror(f)) {
		perror(path);
		return 1;
	}
	fclose(f);
	uint8_t *msg = malloc(len ? len : 1);
	memcpy(msg, buf, len);
	free(buf);

	static char out[ATTRS_CAP];
	struct pl_attrs a;
	pl_attrs_init(&a, out, sizeof(out));
	enum pl_dissect_result r = pl_dhcp_dissect(msg, len, &a);
	pl_attrs_finish(&a);
	puts(out);
	fprintf(stderr, "%s\n", verdicts[r]);
	free(msg);
	return 0;
}
