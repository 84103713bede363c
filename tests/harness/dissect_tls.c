/* SPDX-License-Identifier: BSD-3-Clause */
/* dissect_tls FILE: the TLS dissector on FILE's bytes
 * (one direction's reassembled head). */
#include "harness.h"

int
main(int argc, char **argv)
{
	return harness_main(argc, argv, pl_tls_dissect, NULL);
}
