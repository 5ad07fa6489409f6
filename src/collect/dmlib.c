// SPDX-License-Identifier: GPL-2.0
/* libdevmapper opened on first use: dmlib.h says why. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include "collect/dmlib.h"

/* The build takes the name from the library it compiled against (Makefile). */
#ifndef DMLIB_SONAME
#define DMLIB_SONAME "libdevmapper.so.1.02.1"
#endif

#define DMLIB_DEFINE(f) typeof(f) *sym_##f;
DMLIB_SYMBOLS(DMLIB_DEFINE)
#undef DMLIB_DEFINE

static pthread_once_t dmlib_once = PTHREAD_ONCE_INIT;
static int dmlib_err;

static void dmlib_load(void)
{
	/* RTLD_NODELETE: its symbols stay valid for the process, whatever happens */
	void *h = dlopen(DMLIB_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);

	if (!h)
		goto fail;
#define DMLIB_RESOLVE(f)						\
	if (!(sym_##f = (typeof(f) *)dlsym(h, #f)))			\
		goto fail;
	DMLIB_SYMBOLS(DMLIB_RESOLVE)
#undef DMLIB_RESOLVE
	return;
fail:
	fprintf(stderr, "dmwatch: cannot use %s: %s (package libdevmapper1.02.1)\n",
		DMLIB_SONAME, dlerror());
	if (h)
		dlclose(h);
	dmlib_err = -ELIBACC;
}

int dmlib_open(void)
{
	pthread_once(&dmlib_once, dmlib_load);
	return dmlib_err;
}
