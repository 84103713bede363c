/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The IEEE registries of MAC address blocks (MA-L, MA-M, MA-S), as CSV files
 * (RFC 4180: quoted fields may hold commas, doubled quotes and line breaks;
 * lines end in CRLF). Loaded once at start-up into three sorted arrays and
 * looked up longest prefix first.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device-internal.h"

struct oui_entry {
	uint64_t prefix; /* the assignment's bits */
	uint32_t name;   /* offset in names */
};

struct registry {
	const char *label; /* "MA-L" */
	const char *file;
	unsigned bits;     /* prefix length */
	struct oui_entry *e;
	size_t n;
};

struct pl_oui {
	struct registry reg[3]; /* longest prefix first */
	char *names;
	size_t names_len, names_cap;
};

#define FIELDS 4

/* One CSV record from *pos: fields unescaped into out (NUL-separated),
 * their starts in f. @return fields read, 0 at the end, -1 for an
 * unterminated quote. *line counts line breaks. */
static int
csv_record(const char *buf, size_t len, size_t *pos, char *out, size_t outcap,
	   const char *f[FIELDS], unsigned *line)
{
	size_t i = *pos, o = 0;
	int nf = 0;

	if (i >= len)
		return 0;
	f[nf++] = out;
	for (;;) {
		if (i < len && buf[i] == '"') {
			for (i++;; i++) {
				if (i >= len)
					return -1;
				if (buf[i] == '"') {
					if (i + 1 < len && buf[i + 1] == '"') {
						i++;
					} else {
						i++;
						break;
					}
				}
				if (buf[i] == '\n')
					(*line)++;
				if (o + 1 < outcap)
					out[o++] = buf[i];
			}
		}
		while (i < len && buf[i] != ',' && buf[i] != '\n') {
			if (buf[i] != '\r' && o + 1 < outcap)
				out[o++] = buf[i];
			i++;
		}
		if (i < len && buf[i] == ',') {
			i++;
			if (o + 1 >= outcap)
				return -1;
			out[o++] = '\0';
			if (nf < FIELDS)
				f[nf] = out + o;
			nf++;
			continue;
		}
		/* end of line or of file */
		out[o] = '\0';
		if (i < len)
			i++;
		(*line)++;
		*pos = i;
		return nf;
	}
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
keep_name(struct pl_oui *o, const char *name, uint32_t *off)
{
	size_t n = strlen(name) + 1;
	if (o->names_len + n > o->names_cap) {
		size_t cap = o->names_cap ? o->names_cap * 2 : 1 << 20;
		while (cap < o->names_len + n)
			cap *= 2;
		char *p = realloc(o->names, cap);
		if (p == NULL)
			return -ENOMEM;
		o->names = p;
		o->names_cap = cap;
	}
	memcpy(o->names + o->names_len, name, n);
	*off = (uint32_t)o->names_len;
	o->names_len += n;
	return 0;
}

static int
by_prefix(const void *a, const void *b)
{
	const struct oui_entry *x = a, *y = b;
	return x->prefix < y->prefix ? -1 : x->prefix > y->prefix;
}

/* Names are stored in file order: their offsets order equal prefixes. */
static int
by_prefix_then_line(const void *a, const void *b)
{
	const struct oui_entry *x = a, *y = b;
	int c = by_prefix(a, b);
	return c ? c : (x->name > y->name) - (x->name < y->name);
}

static int
load_registry(struct pl_oui *o, struct registry *r, const char *dir,
	      char *err, size_t errlen)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, r->file);
	FILE *fp = fopen(path, "rb");
	if (fp == NULL) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		return -1;
	}
	fseek(fp, 0, SEEK_END);
	long size = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	char *buf = size > 0 ? malloc((size_t)size) : NULL;
	if (buf == NULL || fread(buf, 1, (size_t)size, fp) != (size_t)size) {
		snprintf(err, errlen, "%s: cannot read: %s", path,
			 size <= 0 ? "empty file" : strerror(errno ? errno : EIO));
		free(buf);
		fclose(fp);
		return -1;
	}
	fclose(fp);

	size_t pos = 0, cap = 0;
	unsigned line = 1, digits = r->bits / 4;
	char rec[4096];
	const char *f[FIELDS];
	int rc = 0;
	for (bool header = true;; header = false) {
		unsigned at = line;
		int nf = csv_record(buf, (size_t)size, &pos, rec, sizeof(rec), f,
				    &line);
		if (nf == 0)
			break;
		if (nf < 0 || nf != FIELDS) {
			snprintf(err, errlen,
				 "%s:%u: expected %d comma-separated fields, "
				 "found %s", path, at, FIELDS,
				 nf < 0 ? "an unterminated quote or an overlong record"
					 : "another count");
			rc = -1;
			break;
		}
		if (header) {
			if (strcmp(f[0], "Registry") != 0 ||
			    strcmp(f[1], "Assignment") != 0) {
				snprintf(err, errlen,
					 "%s:%u: expected the header "
					 "\"Registry,Assignment,...\", found "
					 "\"%.40s\"", path, at, f[0]);
				rc = -1;
				break;
			}
			continue;
		}
		uint64_t prefix = 0;
		bool ok = strcmp(f[0], r->label) == 0 && strlen(f[1]) == digits;
		for (unsigned i = 0; ok && i < digits; i++) {
			int v = hexval(f[1][i]);
			ok = v >= 0;
			prefix = prefix << 4 | (uint64_t)(v < 0 ? 0 : v);
		}
		if (!ok) {
			snprintf(err, errlen,
				 "%s:%u: expected registry %s and an assignment "
				 "of %u hex digits, found \"%.8s\", \"%.16s\"",
				 path, at, r->label, digits, f[0], f[1]);
			rc = -1;
			break;
		}
		if (r->n == cap) {
			cap = cap ? cap * 2 : 1024;
			struct oui_entry *e = realloc(r->e, cap * sizeof(*e));
			if (e == NULL) {
				snprintf(err, errlen, "%s: out of memory", path);
				rc = -1;
				break;
			}
			r->e = e;
		}
		struct oui_entry *e = &r->e[r->n];
		e->prefix = prefix;
		if (keep_name(o, f[2], &e->name) != 0) {
			snprintf(err, errlen, "%s: out of memory", path);
			rc = -1;
			break;
		}
		r->n++;
	}
	free(buf);
	if (rc == 0 && r->n > 0) {
		/* A few blocks are listed twice: the first line wins. */
		qsort(r->e, r->n, sizeof(*r->e), by_prefix_then_line);
		size_t k = 1;
		for (size_t i = 1; i < r->n; i++)
			if (r->e[i].prefix != r->e[k - 1].prefix)
				r->e[k++] = r->e[i];
		r->n = k;
	}
	return rc;
}

struct pl_oui *
pl_oui_load(const char *dir, char *err, size_t errlen)
{
	struct pl_oui *o = calloc(1, sizeof(*o));
	if (o == NULL) {
		snprintf(err, errlen, "%s: out of memory", dir);
		return NULL;
	}
	o->reg[0] = (struct registry){"MA-S", "oui36.csv", 36, NULL, 0};
	o->reg[1] = (struct registry){"MA-M", "mam.csv", 28, NULL, 0};
	o->reg[2] = (struct registry){"MA-L", "oui.csv", 24, NULL, 0};
	for (int i = 0; i < 3; i++) {
		if (load_registry(o, &o->reg[i], dir, err, errlen) != 0) {
			pl_oui_free(o);
			return NULL;
		}
	}
	return o;
}

void
pl_oui_free(struct pl_oui *o)
{
	if (o == NULL)
		return;
	for (int i = 0; i < 3; i++)
		free(o->reg[i].e);
	free(o->names);
	free(o);
}

size_t
pl_oui_count(const struct pl_oui *o)
{
	return o ? o->reg[0].n + o->reg[1].n + o->reg[2].n : 0;
}

const char *
pl_oui_vendor(const struct pl_oui *o, const uint8_t mac[6],
	      const char **registry)
{
	if (o == NULL)
		return NULL;
	uint64_t m = 0;
	for (int i = 0; i < 6; i++)
		m = m << 8 | mac[i];
	for (int i = 0; i < 3; i++) {
		const struct registry *r = &o->reg[i];
		struct oui_entry key = {.prefix = m >> (48 - r->bits)};
		const struct oui_entry *e =
			bsearch(&key, r->e, r->n, sizeof(*r->e), by_prefix);
		if (e) {
			if (registry)
				*registry = r->label;
			return o->names + e->name;
		}
	}
	return NULL;
}
