/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * stubdmctl console GUEST --vnc, screenshot GUEST FILE: the guest's
 * screen.  stubdmd says where it is (Console); the picture is taken here,
 * over that socket, with the caller's rights, and written as a PNG.
 */
#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stubdmctl/rfb.h"
#include "stubdmctl/stubdmctl.h"
#include "stubdmd/proto.h"

#define CTL_SCREENSHOT_TIMEOUT_MS	30000

/* Console's reply: the socket path (malloc'd), or NULL after an error. */
static int
ctl_screen_path(struct ctl *ctl, const char *guest, char **path)
{
	const char *p;
	json_t *r;
	int rc;

	*path = NULL;
	rc = ctl_call(ctl, PROTO_CONSOLE, json_pack("{s:o}", "guest",
	    ctl_guest_param(guest)), &r);
	if (rc != CTL_OK)
		return rc;
	if ((p = json_string_value(json_object_get(r, "vnc"))) == NULL ||
	    (*path = strdup(p)) == NULL) {
		fprintf(stderr, "stubdmctl: stubdmd's Console reply has no "
		    "vnc\n");
		rc = CTL_ECONNECT;
	}
	json_decref(r);
	return rc;
}

int
ctl_cmd_console(struct ctl *ctl, int argc, char **argv)
{
	char *path, *safe;
	int rc;

	if (!(ctl->opts & CTL_OPT_VNC)) {
		fprintf(stderr, "stubdmctl: console: only the guest's screen "
		    "is served: console GUEST --vnc\n");
		return CTL_EUSAGE;
	}
	if ((rc = ctl_screen_path(ctl, argv[1], &path)) != CTL_OK)
		return rc;
	if (ctl->json) {
		json_t *doc = json_pack("{s:s}", "vnc", path);

		ctl_print_json(doc);
		json_decref(doc);
	} else {
		safe = ctl_safe(path);
		printf("%s\n", safe != NULL ? safe : path);
		free(safe);
	}
	free(path);
	return CTL_OK;
}

/* 8-bit RGB, no interlace. */
static int
ctl_png_write(FILE *f, const struct ctl_rfb_image *img)
{
	png_structp png;
	png_infop info = NULL;
	unsigned y;

	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL,
	    NULL);
	if (png == NULL || (info = png_create_info_struct(png)) == NULL) {
		png_destroy_write_struct(&png, NULL);
		return -ENOMEM;
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		return -EIO;
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, img->w, img->h, 8, PNG_COLOR_TYPE_RGB,
	    PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
	    PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (y = 0; y < img->h; y++)
		png_write_row(png, img->rgb + (size_t)y * img->w * 3);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return 0;
}

static int
ctl_screenshot_save(const char *file, const struct ctl_rfb_image *img)
{
	FILE *f;
	int rc;

	if ((f = fopen(file, "wb")) == NULL) {
		fprintf(stderr, "stubdmctl: %s: %s\n", file, strerror(errno));
		return CTL_EUSAGE;
	}
	rc = ctl_png_write(f, img);
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc < 0) {
		fprintf(stderr, "stubdmctl: %s: %s\n", file, strerror(-rc));
		remove(file);
		return CTL_EUSAGE;
	}
	return CTL_OK;
}

int
ctl_cmd_screenshot(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_rfb_image img = { 0 };
	char *path, err[512];
	int rc;

	if ((rc = ctl_screen_path(ctl, argv[1], &path)) != CTL_OK)
		return rc;
	if (ctl_rfb_capture(path, CTL_SCREENSHOT_TIMEOUT_MS, &img, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "stubdmctl: the screen of %s: %s\n", argv[1],
		    err);
		free(path);
		return CTL_ECONNECT;
	}
	free(path);
	rc = ctl_screenshot_save(argv[2], &img);
	if (rc == CTL_OK && !ctl->json)
		printf("%s: %ux%u\n", argv[2], img.w, img.h);
	free(img.rgb);
	return rc;
}
