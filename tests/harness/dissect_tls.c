/* SPDX-License-Identifier: BSD-3-Clause */
/* dissect_tls FILE: the TLS dissector's attributes for the bytes of FILE
 * (one direction's reassembled head), as one JSON object and a newline.
 * Exit 0, or 1 if FILE cannot be read. The bytes are held in a buffer of
 * exactly their size, so a sanitizer build catches any over-read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

#define ATTRS_CAP (64 * 1024)

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: dissect_tls FILE\n");
		return 1;
	}
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		fprintf(stderr, "dissect_tls: %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	size_t cap = 0, len = 0;
	uint8_t *buf = NULL;
	for (;;) {
		if (len == cap) {
			cap = cap ? 2 * cap : 65536;
			uint8_t *nb = realloc(buf, cap);
			if (!nb) {
				fprintf(stderr, "dissect_tls: out of memory\n");
				return 1;
			}
			buf = nb;
		}
		size_t k = fread(buf + len, 1, cap - len, f);
		len += k;
		if (k == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "dissect_tls: %s: read error\n", argv[1]);
		return 1;
	}
	fclose(f);
	/* exactly sized copy, so that any over-read is past the block */
	uint8_t *exact = malloc(len ? len : 1);
	if (!exact) {
		fprintf(stderr, "dissect_tls: out of memory\n");
		return 1;
	}
	memcpy(exact, buf, len);
	free(buf);

	static char out[ATTRS_CAP];
	struct pl_attrs a;
	pl_attrs_init(&a, out, sizeof(out));
	(void)pl_tls_dissect(exact, len, &a);
	pl_attrs_finish(&a);
	printf("%s\n", out);
	free(exact);
	return 0;
}
