/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PL_HARNESS_H
#define PL_HARNESS_H

/* What every dissector harness does: a dissector's attributes of a file's
 * bytes as one JSON object on stdout, for the differential tests in
 * tests/e2e; the verdict goes to stderr. Exit 0, or 1 when the file cannot
 * be read. The bytes are held in a buffer of exactly their size, so a
 * sanitizer build catches any over-read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

#define ATTRS_CAP (64 * 1024)

static const char *const verdicts[] = {"ok", "malformed", "not_mine"};

/* Runs fn, or with "--tcp" first tcp_fn, on the bytes of the file named
 * last on the command line. */
static int
harness_main(int argc, char **argv, pl_dissect_fn fn, pl_dissect_fn tcp_fn)
{
	if (tcp_fn && argc == 3 && strcmp(argv[1], "--tcp") == 0) {
		fn = tcp_fn;
		argv++;
		argc--;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: %s %sFILE\n", argv[0], tcp_fn ? "[--tcp] " : "");
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
	enum pl_dissect_result r = fn(msg, len, &a);
	pl_attrs_finish(&a);
	puts(out);
	fprintf(stderr, "%s\n", verdicts[r]);
	free(msg);
	return 0;
}

#endif /* PL_HARNESS_H */
