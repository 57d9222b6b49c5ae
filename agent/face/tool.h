/* SPDX-License-Identifier: MIT */
/* The commands of egate-face that live beside the engine; not installed. */
#ifndef EGATE_FACE_TOOL_H
#define EGATE_FACE_TOOL_H

/* egate-face bench [--quick] [--stage det320|lm|desc] [IMAGE] (IMAGE: argv[0]
 * when argc > 0); MODELS the model folder; JSON one object on stdout. */
int bench_main(int argc, char **argv, const char *models, int json, int quick,
	       const char *stage);
/* egate-face accuracy [--canvas GREY] PEOPLE_DIR [GROUPS_DIR] */
int accuracy_main(int argc, char **argv, const char *models, int canvas_grey);

#endif
