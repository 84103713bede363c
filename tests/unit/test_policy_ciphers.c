/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for lib/policy's cipher-suite registry: the committed
 * config/ciphersuites.csv against the facts in ../shared/data (read here on
 * their own, not through the loader), GREASE and unknown codes, and the
 * loader's message for each kind of broken file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "policy.h"

#define REGISTRY PL_SOURCE_ROOT "/config/ciphersuites.csv"
#define LEVELS PL_SHARED_DIR "/data/ciphersuite-levels.csv"

static struct pl_cipher_registry *
load_ok(const char *path, const char *snapshot)
{
	char err[256] = "";
	struct pl_cipher_registry *reg =
		pl_cipher_registry_load(path, snapshot, err, sizeof(err));

	cr_assert_not_null(reg, "%s (%s) should load: %s", path,
			   snapshot ? snapshot : "default", err);
	cr_assert_str_empty(err);
	return reg;
}

static enum pl_cipher_level
level_of(const char *word)
{
	enum pl_cipher_level lv = PL_CIPHER_UNKNOWN;

	cr_assert_eq(pl_cipher_level_from_name(word, &lv), 0,
		     "'%s' is a level", word);
	return lv;
}

/* ---- the committed registry ---- */

Test(registry, default_snapshot_is_current_advice)
{
	struct pl_cipher_registry *reg = load_ok(REGISTRY, NULL);

	cr_assert_str_eq(pl_cipher_registry_snapshot(reg), "2026");
	cr_assert_eq(pl_cipher_level(reg, 0x0005), PL_CIPHER_INSECURE);
	cr_assert_str_eq(pl_cipher_name(reg, 0x0005), "TLS_RSA_WITH_RC4_128_SHA");
	cr_assert_eq(pl_cipher_level(reg, 0x1301), PL_CIPHER_RECOMMENDED);
	cr_assert_str_eq(pl_cipher_name(reg, 0x1301), "TLS_AES_128_GCM_SHA256");
	/* ECDHE-RSA AES-128-GCM: secure in every snapshot. */
	cr_assert_eq(pl_cipher_level(reg, 0xC02F), PL_CIPHER_SECURE);
	/* A signalling value, not a suite: ciphersuite.info has no level. */
	cr_assert_eq(pl_cipher_level(reg, 0x00FF), PL_CIPHER_UNRATED);
	cr_assert_str_eq(pl_cipher_name(reg, 0x00FF),
			 "TLS_EMPTY_RENEGOTIATION_INFO_SCSV");
	pl_cipher_registry_free(reg);
}

Test(registry, dhe_suite_changed_after_the_paper)
{
	struct pl_cipher_registry *now = load_ok(REGISTRY, "2026");
	struct pl_cipher_registry *paper = load_ok(REGISTRY, "2023");
	struct pl_cipher_registry *old = load_ok(REGISTRY, "2021");

	/* TLS_DHE_RSA_WITH_AES_128_GCM_SHA256: not in the paper's weak set,
	 * weak on ciphersuite.info in 2026. */
	cr_assert_eq(pl_cipher_level(now, 0x009E), PL_CIPHER_WEAK);
	cr_assert_eq(pl_cipher_level(paper, 0x009E), PL_CIPHER_SECURE);
	cr_assert_eq(pl_cipher_level(old, 0x009E), PL_CIPHER_SECURE);
	cr_assert(pl_cipher_level_is_weak(pl_cipher_level(now, 0x009E)));
	cr_assert(!pl_cipher_level_is_weak(pl_cipher_level(paper, 0x009E)));
	cr_assert_str_eq(pl_cipher_registry_snapshot(paper), "2023");
	/* Weak on ciphersuite.info in 2021, not flagged by the paper. */
	cr_assert_eq(pl_cipher_level(old, 0xC0AA), PL_CIPHER_WEAK);
	cr_assert_eq(pl_cipher_level(paper, 0xC0AA), PL_CIPHER_SECURE);
	pl_cipher_registry_free(now);
	pl_cipher_registry_free(paper);
	pl_cipher_registry_free(old);
}

/* Levels of ciphersuite-levels.csv's cell, as the registry must give them. */
static enum pl_cipher_level
expected(const char *cell)
{
	return *cell ? level_of(cell) : PL_CIPHER_UNRATED;
}

Test(registry, every_suite_matches_the_shared_levels)
{
	struct pl_cipher_registry *r26 = load_ok(REGISTRY, "2026");
	struct pl_cipher_registry *r21 = load_ok(REGISTRY, "2021");
	struct pl_cipher_registry *r23 = load_ok(REGISTRY, "2023");
	FILE *fp = fopen(LEVELS, "r");
	char line[512];
	unsigned rows = 0, n = 0;

	cr_assert_not_null(fp, "%s: %s", LEVELS, strerror(errno));
	cr_assert_not_null(fgets(line, sizeof(line), fp));
	cr_assert_str_eq(line, "code,name,iana_recommended,csinfo_2021Aug,"
			       "csinfo_webreGOn_2026,protoiot_2023\n");
	while (fgets(line, sizeof(line), fp)) {
		char *f[6], *p = line;
		uint16_t code;

		line[strcspn(line, "\n")] = '\0';
		for (n = 0; n < 6; n++)
			f[n] = strsep(&p, ",");
		cr_assert_not_null(f[5], "%s: short row '%s'", LEVELS, line);
		code = (uint16_t)strtoul(f[0], NULL, 16);
		cr_assert_str_eq(pl_cipher_name(r26, code), f[1]);
		cr_assert_eq(pl_cipher_level(r21, code), expected(f[3]),
			     "%s 2021", f[0]);
		cr_assert_eq(pl_cipher_level(r26, code), expected(f[4]),
			     "%s 2026", f[0]);
		if (*f[5])
			cr_assert_eq(pl_cipher_level(r23, code), level_of(f[5]),
				     "%s 2023", f[0]);
		else
			cr_assert(!pl_cipher_level_is_weak(
					  pl_cipher_level(r23, code)),
				  "%s: not flagged in the paper", f[0]);
		rows++;
	}
	fclose(fp);
	cr_assert_gt(rows, 300);
	pl_cipher_registry_free(r26);
	pl_cipher_registry_free(r21);
	pl_cipher_registry_free(r23);
}

Test(registry, grease_is_never_a_suite)
{
	struct pl_cipher_registry *reg = load_ok(REGISTRY, NULL);
	unsigned n = 0;

	cr_assert_eq(pl_cipher_level(reg, 0x0a0a), PL_CIPHER_GREASE);
	cr_assert_eq(pl_cipher_level(reg, 0xfafa), PL_CIPHER_GREASE);
	cr_assert_null(pl_cipher_name(reg, 0x0a0a));
	for (unsigned c = 0; c < 65536; c++) {
		bool g = pl_cipher_is_grease((uint16_t)c);

		n += g;
		cr_assert_eq(pl_cipher_level(reg, (uint16_t)c) == PL_CIPHER_GREASE,
			     g, "0x%04X", c);
	}
	cr_assert_eq(n, 16);
	cr_assert(!pl_cipher_level_is_weak(PL_CIPHER_GREASE));
	/* Near misses of the pattern. */
	cr_assert(!pl_cipher_is_grease(0x0a1a));
	cr_assert(!pl_cipher_is_grease(0x0b0b));
	pl_cipher_registry_free(reg);
}

Test(registry, unknown_codes)
{
	struct pl_cipher_registry *reg = load_ok(REGISTRY, NULL);

	/* Unassigned in the IANA registry, and private use. */
	cr_assert_eq(pl_cipher_level(reg, 0x1300), PL_CIPHER_UNKNOWN);
	cr_assert_null(pl_cipher_name(reg, 0x1300));
	cr_assert_eq(pl_cipher_level(reg, 0xFFFF), PL_CIPHER_UNKNOWN);
	cr_assert_null(pl_cipher_name(reg, 0xFFFF));
	cr_assert(!pl_cipher_level_is_weak(PL_CIPHER_UNKNOWN));
	pl_cipher_registry_free(reg);
}

/* ---- level names ---- */

Test(levels, names_round_trip)
{
	for (unsigned i = 0; i < PL_CIPHER_LEVEL_COUNT; i++) {
		enum pl_cipher_level lv = PL_CIPHER_LEVEL_COUNT;

		cr_assert_eq(pl_cipher_level_from_name(
				     pl_cipher_level_name((enum pl_cipher_level)i),
				     &lv), 0);
		cr_assert_eq(lv, i);
	}
	cr_assert_str_eq(pl_cipher_level_name(PL_CIPHER_WEAK), "weak");
	cr_assert_str_eq(pl_cipher_level_name(PL_CIPHER_GREASE), "grease");
	cr_assert_str_eq(pl_cipher_level_name(PL_CIPHER_LEVEL_COUNT), "invalid");
	cr_assert(PL_CIPHER_INSECURE < PL_CIPHER_WEAK &&
		  PL_CIPHER_WEAK < PL_CIPHER_SECURE &&
		  PL_CIPHER_SECURE < PL_CIPHER_RECOMMENDED);
}

Test(levels, bad_names)
{
	enum pl_cipher_level lv = PL_CIPHER_WEAK;

	cr_assert_eq(pl_cipher_level_from_name("Weak", &lv), -EINVAL);
	cr_assert_eq(pl_cipher_level_from_name("", &lv), -EINVAL);
	cr_assert_eq(pl_cipher_level_from_name(NULL, &lv), -EINVAL);
	cr_assert_eq(lv, PL_CIPHER_WEAK, "unchanged on failure");
}

/* ---- broken files ---- */

static char tmp_path[64];

static const char *
write_file(const char *text)
{
	int fd;

	strcpy(tmp_path, "/tmp/pl_ciphers_XXXXXX");
	fd = mkstemp(tmp_path);
	cr_assert_geq(fd, 0, "mkstemp: %s", strerror(errno));
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return tmp_path;
}

/* Loading text with snapshot must fail with errno and exactly
 * "<file>:<what>" as the message. */
static void
load_bad(const char *text, const char *snapshot, int want_errno,
	 const char *want)
{
	const char *path = write_file(text);
	char err[256] = "", full[512];
	struct pl_cipher_registry *reg;

	errno = 0;
	reg = pl_cipher_registry_load(path, snapshot, err, sizeof(err));
	int e = errno;
	unlink(path);
	cr_assert_null(reg, "should be refused: %s", text);
	cr_assert_eq(e, want_errno, "errno %d, expected %d", e, want_errno);
	snprintf(full, sizeof(full), "%s:%s", path, want);
	cr_assert_str_eq(err, full);
}

#define HEAD "# a comment\ncode,name,level_2026,level_2021\n"

Test(broken, a_good_small_file_loads)
{
	const char *path = write_file(
		HEAD "\n0x0005,TLS_RSA_WITH_RC4_128_SHA,insecure,insecure\r\n"
		"# comments anywhere\n0xc02f,SOME_SUITE,secure,unrated");
	struct pl_cipher_registry *reg = load_ok(path, NULL);

	unlink(path);
	cr_assert_str_eq(pl_cipher_registry_snapshot(reg), "2026");
	cr_assert_eq(pl_cipher_level(reg, 0x0005), PL_CIPHER_INSECURE);
	cr_assert_eq(pl_cipher_level(reg, 0xC02F), PL_CIPHER_SECURE);
	cr_assert_str_eq(pl_cipher_name(reg, 0xC02F), "SOME_SUITE");
	cr_assert_eq(pl_cipher_level(reg, 0x0004), PL_CIPHER_UNKNOWN);
	pl_cipher_registry_free(reg);
	pl_cipher_registry_free(NULL);
}

Test(broken, missing_file)
{
	const char *path = "/nonexistent/ciphersuites.csv";
	char err[256];

	errno = 0;
	cr_assert_null(pl_cipher_registry_load(path, NULL, err, sizeof(err)));
	cr_assert_eq(errno, ENOENT);
	cr_assert_str_eq(err, "/nonexistent/ciphersuites.csv: expected a "
			      "readable file, found No such file or directory");
	/* err may be NULL. */
	cr_assert_null(pl_cipher_registry_load(path, NULL, NULL, 0));
}

Test(broken, bad_code)
{
	load_bad(HEAD "0x00G5,TLS_X,weak,weak\n", NULL, EINVAL,
		 "3: expected a code 0xHHHH, found '0x00G5'");
	load_bad(HEAD "5,TLS_X,weak,weak\n", NULL, EINVAL,
		 "3: expected a code 0xHHHH, found '5'");
	load_bad(HEAD "0x00050,TLS_X,weak,weak\n", NULL, EINVAL,
		 "3: expected a code 0xHHHH, found '0x00050'");
}

Test(broken, grease_or_duplicate_code)
{
	load_bad(HEAD "0x2A2A,TLS_X,weak,weak\n", NULL, EINVAL,
		 "3: expected a cipher suite, found GREASE value 0x2A2A");
	load_bad(HEAD "0x0005,TLS_X,weak,weak\n0x0004,TLS_Y,weak,weak\n"
		 "0x0005,TLS_Z,weak,weak\n", NULL, EINVAL,
		 "5: expected a new code, found 0x0005 again");
}

Test(broken, bad_name)
{
	load_bad(HEAD "0x0005,TLS X,weak,weak\n", NULL, EINVAL,
		 "3: expected a name of letters, digits and _, found 'TLS X'");
	load_bad(HEAD "0x0005,,weak,weak\n", NULL, EINVAL,
		 "3: expected a name of letters, digits and _, found ''");
}

Test(broken, unknown_level_word)
{
	load_bad(HEAD "0x0005,TLS_X,weak,medium\n", NULL, EINVAL,
		 "3: expected insecure, weak, secure, recommended or unrated "
		 "in level_2021, found 'medium'");
	/* Levels the lookup gives but a file must not. */
	load_bad(HEAD "0x0005,TLS_X,grease,weak\n", "2021", EINVAL,
		 "3: expected insecure, weak, secure, recommended or unrated "
		 "in level_2026, found 'grease'");
	load_bad(HEAD "0x0005,TLS_X,weak,\n", NULL, EINVAL,
		 "3: expected insecure, weak, secure, recommended or unrated "
		 "in level_2021, found ''");
}

Test(broken, wrong_column_count)
{
	load_bad(HEAD "0x0005,TLS_X,weak\n", NULL, EINVAL,
		 "3: expected 4 fields (code,name and 2 levels), found 3");
	load_bad(HEAD "0x0005,TLS_X,weak,weak,weak\n", NULL, EINVAL,
		 "3: expected 4 fields (code,name and 2 levels), found more "
		 "than 4");
}

Test(broken, bad_header)
{
	load_bad("code,level_2026\n", NULL, EINVAL,
		 "1: expected the header code,name,level_<snapshot>..., found "
		 "code,level_2026");
	load_bad("code,name,level_2026,csinfo_2021\n", NULL, EINVAL,
		 "1: expected a column level_<snapshot>, found 'csinfo_2021'");
	load_bad("code,name,level_2026,level_2026\n", NULL, EINVAL,
		 "1: expected one column level_2026, found two");
	load_bad("# only a comment\n", NULL, EINVAL,
		 "2: expected the header code,name,level_<snapshot>..., found "
		 "end of file");
	load_bad(HEAD, NULL, EINVAL,
		 "3: expected at least one cipher suite, found end of file");
}

Test(broken, unknown_snapshot)
{
	char err[256];

	load_bad(HEAD "0x0005,TLS_X,weak,weak\n", "1999", EINVAL,
		 "2: expected a column level_1999 for snapshot '1999', found "
		 "level_2026,level_2021");
	/* The committed file, too: its header is on the line after the
	 * comments. */
	errno = 0;
	cr_assert_null(pl_cipher_registry_load(REGISTRY, "2024", err,
					       sizeof(err)));
	cr_assert_eq(errno, EINVAL);
	cr_assert(strstr(err, ": expected a column level_2024 for snapshot "
			      "'2024', found level_2026,level_2021,level_2023"),
		  "%s", err);
}

Test(broken, nul_byte)
{
	const char text[] = HEAD "0x0005,TLS_X\0,weak,weak\n";
	const char *path;
	char err[256], want[256];
	FILE *fp;

	path = write_file("");
	fp = fopen(path, "w");
	fwrite(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	cr_assert_null(pl_cipher_registry_load(path, NULL, err, sizeof(err)));
	unlink(path);
	snprintf(want, sizeof(want), "%s:3: expected text, found a NUL byte",
		 path);
	cr_assert_str_eq(err, want);
}
