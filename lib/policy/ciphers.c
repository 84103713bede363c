/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cipher-suite registry: config/ciphersuites.csv loaded into tables indexed
 * by the 16-bit code, so that rating every suite of every ClientHello costs
 * one byte read.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define CODES 65536
/* A header wider than this is not one tools/build-ciphersuites writes. */
#define MAX_COLUMNS 32
/* How much of a bad field a message quotes. */
#define QUOTE 40

struct pl_cipher_registry {
	uint8_t level[CODES];		/* enum pl_cipher_level */
	uint16_t name_idx[CODES];	/* 1 + index in names, 0: none */
	char **names;
	unsigned n_names;
	char *snapshot;
};

#define PL_CIPHER_LEVEL_NAME_(id, name) [PL_CIPHER_##id] = name,
static const char *const level_names[PL_CIPHER_LEVEL_COUNT] = {
	PL_CIPHER_LEVELS(PL_CIPHER_LEVEL_NAME_)
};
#undef PL_CIPHER_LEVEL_NAME_

const char *
pl_cipher_level_name(enum pl_cipher_level level)
{
	if ((unsigned)level >= PL_CIPHER_LEVEL_COUNT)
		return "invalid";
	return level_names[level];
}

int
pl_cipher_level_from_name(const char *name, enum pl_cipher_level *level)
{
	if (name == NULL)
		return -EINVAL;
	for (unsigned i = 0; i < PL_CIPHER_LEVEL_COUNT; i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*level = (enum pl_cipher_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

enum pl_cipher_level
pl_cipher_level(const struct pl_cipher_registry *reg, uint16_t code)
{
	return (enum pl_cipher_level)reg->level[code];
}

const char *
pl_cipher_name(const struct pl_cipher_registry *reg, uint16_t code)
{
	uint16_t i = reg->name_idx[code];

	return i ? reg->names[i - 1] : NULL;
}

const char *
pl_cipher_registry_snapshot(const struct pl_cipher_registry *reg)
{
	return reg->snapshot;
}

void
pl_cipher_registry_free(struct pl_cipher_registry *reg)
{
	if (reg == NULL)
		return;
	for (unsigned i = 0; i < reg->n_names; i++)
		free(reg->names[i]);
	free(reg->names);
	free(reg->snapshot);
	free(reg);
}

/* State of one load, so that helpers can report where they are. */
struct loader {
	const char *path;
	unsigned line;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3))) static void
fail(const struct loader *ld, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (ld->err == NULL || ld->errlen == 0)
		return;
	if (ld->line)
		n = snprintf(ld->err, ld->errlen, "%s:%u: ", ld->path, ld->line);
	else
		n = snprintf(ld->err, ld->errlen, "%s: ", ld->path);
	if (n < 0 || (size_t)n >= ld->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(ld->err + n, ld->errlen - n, fmt, ap);
	va_end(ap);
}

/* Split line in place at commas; at most max fields, else returns max + 1. */
static unsigned
split(char *line, char **fields, unsigned max)
{
	unsigned n = 0;
	char *p = line;

	for (;;) {
		if (n == max)
			return max + 1;
		fields[n++] = p;
		p = strchr(p, ',');
		if (p == NULL)
			return n;
		*p++ = '\0';
	}
}

static int
parse_code(const char *s, uint16_t *code)
{
	if (strlen(s) != 6 || s[0] != '0' || s[1] != 'x')
		return -EINVAL;
	for (int i = 2; i < 6; i++)
		if (!isxdigit((unsigned char)s[i]))
			return -EINVAL;
	*code = (uint16_t)strtoul(s + 2, NULL, 16);
	return 0;
}

/* Names go into JSON output and log lines unescaped: keep them plain. */
static bool
valid_name(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

/* The header: code,name,level_<a>,level_<b>...; sets *col to the column of
 * the snapshot asked for (NULL: the first level column). */
static int
parse_header(struct loader *ld, char **f, unsigned nf, const char *snapshot,
	     unsigned *col)
{
	static const char prefix[] = "level_";
	const size_t plen = sizeof(prefix) - 1;
	char found[256];
	size_t used = 0;

	if (nf > MAX_COLUMNS) {
		fail(ld, "expected at most %d columns, found more", MAX_COLUMNS);
		return -EINVAL;
	}
	if (nf < 3 || strcmp(f[0], "code") != 0 || strcmp(f[1], "name") != 0) {
		fail(ld, "expected the header code,name,level_<snapshot>..., "
		     "found %.*s%s%.*s", QUOTE, f[0], nf > 1 ? "," : "",
		     QUOTE, nf > 1 ? f[1] : "");
		return -EINVAL;
	}
	*col = 0;
	for (unsigned i = 2; i < nf; i++) {
		if (strncmp(f[i], prefix, plen) != 0 || f[i][plen] == '\0') {
			fail(ld, "expected a column level_<snapshot>, found '%.*s'",
			     QUOTE, f[i]);
			return -EINVAL;
		}
		for (unsigned j = 2; j < i; j++) {
			if (strcmp(f[i], f[j]) == 0) {
				fail(ld, "expected one column %.*s, found two",
				     QUOTE, f[i]);
				return -EINVAL;
			}
		}
		if (*col == 0 &&
		    (snapshot == NULL || strcmp(f[i] + plen, snapshot) == 0))
			*col = i;
		if (used < sizeof(found))
			used += snprintf(found + used, sizeof(found) - used,
					 "%s%s", i > 2 ? "," : "", f[i]);
	}
	if (*col == 0) {
		fail(ld, "expected a column level_%.*s for snapshot '%.*s', "
		     "found %s", QUOTE, snapshot, QUOTE, snapshot, found);
		return -EINVAL;
	}
	return 0;
}

static int
add_name(struct pl_cipher_registry *reg, uint16_t code, const char *name)
{
	char **names = realloc(reg->names, (reg->n_names + 1) * sizeof(*names));

	if (names == NULL)
		return -ENOMEM;
	reg->names = names;
	names[reg->n_names] = strdup(name);
	if (names[reg->n_names] == NULL)
		return -ENOMEM;
	/* At most 65520 codes (GREASE refused), so 1 + index fits. */
	reg->name_idx[code] = (uint16_t)++reg->n_names;
	return 0;
}

/* One suite row; every level is checked, the snapshot's one is kept. */
static int
parse_row(struct loader *ld, struct pl_cipher_registry *reg, char **f,
	  unsigned nf, char **cols, unsigned ncols, unsigned col)
{
	enum pl_cipher_level lv;
	uint16_t code;

	if (nf != ncols) {
		fail(ld, "expected %u fields (code,name and %u levels), found %s%u",
		     ncols, ncols - 2, nf > ncols ? "more than " : "",
		     nf > ncols ? ncols : nf);
		return -EINVAL;
	}
	if (parse_code(f[0], &code) < 0) {
		fail(ld, "expected a code 0xHHHH, found '%.*s'", QUOTE, f[0]);
		return -EINVAL;
	}
	if (pl_cipher_is_grease(code)) {
		fail(ld, "expected a cipher suite, found GREASE value 0x%04X",
		     code);
		return -EINVAL;
	}
	if (reg->name_idx[code]) {
		fail(ld, "expected a new code, found 0x%04X again", code);
		return -EINVAL;
	}
	if (!valid_name(f[1])) {
		fail(ld, "expected a name of letters, digits and _, found '%.*s'",
		     QUOTE, f[1]);
		return -EINVAL;
	}
	for (unsigned i = 2; i < nf; i++) {
		if (pl_cipher_level_from_name(f[i], &lv) < 0 ||
		    lv < PL_CIPHER_UNRATED) {
			fail(ld, "expected insecure, weak, secure, recommended "
			     "or unrated in %s, found '%.*s'", cols[i], QUOTE,
			     f[i]);
			return -EINVAL;
		}
		if (i == col)
			reg->level[code] = (uint8_t)lv;
	}
	if (add_name(reg, code, f[1]) < 0) {
		fail(ld, "expected memory for the registry, found none");
		return -ENOMEM;
	}
	return 0;
}

/* Read lines until the header and every row are parsed. */
static int
parse_file(struct loader *ld, FILE *fp, struct pl_cipher_registry *reg,
	   const char *snapshot)
{
	char *line = NULL, *header = NULL;
	size_t cap = 0;
	ssize_t len;
	char *f[MAX_COLUMNS + 1], *cols[MAX_COLUMNS + 1];
	unsigned nf, ncols = 0, col = 0;
	int rc = 0;

	while ((len = getline(&line, &cap, fp)) >= 0) {
		ld->line++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if ((size_t)len != strlen(line)) {
			fail(ld, "expected text, found a NUL byte");
			rc = -EINVAL;
			break;
		}
		if (len == 0 || line[0] == '#')
			continue;
		if (header == NULL) {
			/* Row messages name the column: keep the header. */
			header = line;
			line = NULL;
			cap = 0;
			ncols = split(header, cols, MAX_COLUMNS);
			rc = parse_header(ld, cols, ncols, snapshot, &col);
			if (rc < 0)
				break;
			continue;
		}
		nf = split(line, f, ncols);
		rc = parse_row(ld, reg, f, nf, cols, ncols, col);
		if (rc < 0)
			break;
	}
	if (rc == 0 && ferror(fp)) {
		rc = errno ? -errno : -EIO;
		fail(ld, "expected to read the file, found %s", strerror(-rc));
	} else if (rc == 0 && header == NULL) {
		ld->line++;
		fail(ld, "expected the header code,name,level_<snapshot>..., "
		     "found end of file");
		rc = -EINVAL;
	} else if (rc == 0 && reg->n_names == 0) {
		ld->line++;
		fail(ld, "expected at least one cipher suite, found end of file");
		rc = -EINVAL;
	}
	if (rc == 0) {
		reg->snapshot = strdup(cols[col] + strlen("level_"));
		if (reg->snapshot == NULL) {
			fail(ld, "expected memory for the registry, found none");
			rc = -ENOMEM;
		}
	}
	free(line);
	free(header);
	return rc;
}

struct pl_cipher_registry *
pl_cipher_registry_load(const char *path, const char *snapshot, char *err,
			size_t errlen)
{
	struct loader ld = { .path = path, .err = err, .errlen = errlen };
	struct pl_cipher_registry *reg;
	FILE *fp;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	fp = fopen(path, "r");
	if (fp == NULL) {
		rc = errno;
		fail(&ld, "expected a readable file, found %s", strerror(rc));
		errno = rc;
		return NULL;
	}
	reg = calloc(1, sizeof(*reg));
	if (reg == NULL) {
		fclose(fp);
		fail(&ld, "expected memory for the registry, found none");
		errno = ENOMEM;
		return NULL;
	}
	/* The file cannot hold GREASE values, so the table can: one read then
	 * answers every code. */
	for (unsigned v = 0x0a; v <= 0xfa; v += 0x10)
		reg->level[v << 8 | v] = PL_CIPHER_GREASE;
	rc = parse_file(&ld, fp, reg, snapshot);
	fclose(fp);
	if (rc < 0) {
		pl_cipher_registry_free(reg);
		errno = -rc;
		return NULL;
	}
	return reg;
}
