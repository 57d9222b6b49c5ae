// SPDX-License-Identifier: MIT
/* egate-face bench: placeholder until the benchmark lands. */
#include <stdio.h>

int bench_main(int argc, char **argv, const char *models);

int bench_main(int argc, char **argv, const char *models)
{
	(void)argc;
	(void)argv;
	(void)models;
	fprintf(stderr, "egate-face: bench not built yet\n");
	return 1;
}
