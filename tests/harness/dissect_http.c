/* SPDX-License-Identifier: BSD-3-Clause */
/* dissect_http FILE: the HTTP dissector on FILE's bytes
 * (the head of one direction of a TCP stream). */
#include "harness.h"

int
main(int argc, char **argv)
{
	return harness_main(argc, argv, pl_http_dissect, NULL);
}
