// SPDX-License-Identifier: GPL-2.0
/* camera-config.c - what to ask of a camera, within the library's limits. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>

#include "capture-internal.h"

int egate_camera_config_new(struct egate_camera_config **ret)
{
	struct egate_camera_config *config;

	assert(ret);
	config = calloc(1, sizeof(*config));
	if (!config)
		return -ENOMEM;
	*config = (struct egate_camera_config){
		.width = 640, .height = 480, .fps = 30, .buffers = 4,
	};
	*ret = config;
	return 0;
}

void egate_camera_config_free(struct egate_camera_config *config)
{
	free(config);
}

int egate_camera_config_set_size(struct egate_camera_config *config,
				 unsigned int width, unsigned int height)
{
	assert(config);
	if (width < EGATE_CAMERA_WIDTH_MIN || width > EGATE_CAMERA_WIDTH_MAX ||
	    height < EGATE_CAMERA_HEIGHT_MIN || height > EGATE_CAMERA_HEIGHT_MAX)
		return -EINVAL;
	config->width = width;
	config->height = height;
	return 0;
}

int egate_camera_config_set_fps(struct egate_camera_config *config, unsigned int fps)
{
	assert(config);
	if (!fps || fps > EGATE_CAMERA_FPS_MAX)
		return -EINVAL;
	config->fps = fps;
	return 0;
}

int egate_camera_config_set_buffers(struct egate_camera_config *config,
				    unsigned int buffers)
{
	assert(config);
	if (buffers < EGATE_CAMERA_BUFFERS_MIN || buffers > EGATE_CAMERA_BUFFERS_MAX)
		return -EINVAL;
	config->buffers = buffers;
	return 0;
}

int egate_camera_config_set_pixel_format(struct egate_camera_config *config,
					 uint32_t fourcc)
{
	assert(config);
	switch (fourcc) {
	case 0:
	case V4L2_PIX_FMT_YUYV:
	case V4L2_PIX_FMT_MJPEG:
	case V4L2_PIX_FMT_RGB24:
	case V4L2_PIX_FMT_Z16:
	case V4L2_PIX_FMT_Y16:
		config->pixel_format = fourcc;
		return 0;
	default:
		return -EINVAL;
	}
}
